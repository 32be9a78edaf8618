# The two commands: `make run` (the app on SQLite with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# The PostgreSQL + Redis pass of `make test`; override to point elsewhere.
BURNTOP_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BURNTOP_TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24,<27"

# Installs exactly what was tested: every version pinned in constraints.txt.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo seed --if-empty
	$(BIN)/flask --app app percentiles refresh --if-missing
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

# The suite twice: on the embedded SQLite default, then on PostgreSQL with Redis.
test: test-sqlite test-postgres

test-sqlite: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

test-postgres: install-dev
	BURNTOP_TEST_DATABASE_URL=$(BURNTOP_TEST_DATABASE_URL) BURNTOP_TEST_REDIS_URL=$(BURNTOP_TEST_REDIS_URL) \
		$(BIN)/pytest -n $(PYTEST_WORKERS) -q

bench: install-dev
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) instance .pytest_cache
