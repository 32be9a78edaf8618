"""`burntop sync` against the real server over HTTP: server totals equal `burntop stats` totals,
incremental syncs send only what is new, and an interrupted sync loses nothing."""
from __future__ import annotations

import functools
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug.serving import make_server

from burntop.client import upload
from burntop.client.cli import main
from burntop.extensions import db
from burntop.models import DailyRollup, UsageRecord
from tests.client.test_source_claude_code import append, assistant, user, write
from tests.client.test_source_codex import PARENT, Rollout, rollout_path
from tests.factories import make_token, make_user


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "GEMINI_CLI_HOME",
                 "AIDER_ANALYTICS_LOG", "CONTINUE_GLOBAL_DIR", "BURNTOP_TOKEN", "BURNTOP_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BURNTOP_CONFIG_DIR", str(tmp_path / "config"))
    # Retry quickly in tests; the schedule of real backoff is urllib3's.
    monkeypatch.setattr(upload, "make_session", functools.partial(upload.make_session, backoff=0.05, backoff_max=0.2))
    return home


@pytest.fixture
def login(app, monkeypatch):
    def log_in(url: str) -> str:
        token = make_token(make_user("dev", timezone="Europe/Berlin"))
        monkeypatch.setenv("BURNTOP_TOKEN", token)
        monkeypatch.setenv("BURNTOP_API_URL", url)
        return token
    return log_in


def claude_history(home, responses=6):
    project = home / ".claude" / "projects" / "-home-dev-shop"
    lines = [user()]
    for i in range(responses):
        at = f"2025-10-0{1 + i % 3}T{10 + i:02d}:00:00.000Z"
        # each response is logged once per content block; the second copy must not count
        lines += [assistant(f"msg_{i:03d}", f"req_{i:03d}", output=50 + i, at=at),
                  assistant(f"msg_{i:03d}", f"req_{i:03d}", output=50 + i, at=at, block={"type": "tool_use"})]
    return write(project / "session-1.jsonl", *lines)


def codex_history(home):
    return (Rollout().context().call(10_000, 8_000, 500, 200).call(12_000, 9_984, 80, 0)
            .write(rollout_path(home, PARENT)))


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def server_totals() -> dict:
    db.session.expire_all()
    r = DailyRollup
    tokens, cost, records = db.session.execute(select(
        func.sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens),
        func.sum(r.cost_nanos), func.sum(r.records))).one()
    return {"tokens": int(tokens or 0), "cost": int(cost or 0) / 1e9, "records": int(records or 0)}


def test_sync_then_server_totals_equal_stats_totals(home, login, live_server):
    claude_history(home)
    codex_history(home)
    login(live_server)
    result = run("sync", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["recordsAdded"] == 8
    stats = json.loads(run("stats", "--json", "--mode", "calculate").stdout)["totals"]
    server = server_totals()
    assert server["records"] == stats["records"] == 8
    assert server["tokens"] == stats["totalTokens"]
    assert server["cost"] == pytest.approx(stats["totalCost"], abs=1e-6)


def test_nothing_private_leaves_the_machine(home, login, live_server):
    claude_history(home)
    login(live_server)
    run("sync")
    rows = db.session.scalars(select(UsageRecord)).all()
    assert rows and all(r.project and "/" not in r.project and "shop" not in r.project for r in rows)
    assert all(r.machine_id for r in rows)


def test_a_second_sync_sends_only_what_is_new(home, login, live_server):
    path = claude_history(home)
    login(live_server)
    run("sync")
    again = json.loads(run("sync", "--json").stdout)
    assert again["recordsAdded"] == 0 and again["recordsSkipped"] == 0  # checkpoints: nothing re-sent
    append(path, assistant("msg_new", "req_new", at="2025-10-05T09:00:00.000Z"))
    third = json.loads(run("sync", "--json").stdout)
    assert (third["recordsAdded"], third["recordsSkipped"]) == (1, 0)
    assert server_totals()["records"] == 7


def test_source_option_leaves_other_checkpoints_alone(home, login, live_server):
    claude_history(home)
    codex_history(home)
    login(live_server)
    first = json.loads(run("sync", "--source", "codex", "--json").stdout)
    assert first["recordsAdded"] == 2
    second = json.loads(run("sync", "--json").stdout)
    assert second["recordsAdded"] == 6 and second["recordsSkipped"] == 0


def test_full_resends_and_the_server_dedupes(home, login, live_server):
    claude_history(home)
    login(live_server)
    run("sync")
    full = json.loads(run("sync", "--full", "--json").stdout)
    assert (full["recordsAdded"], full["recordsSkipped"]) == (0, 6)


def test_dry_run_sends_nothing_and_shows_the_payload(home, login, live_server):
    claude_history(home)
    login(live_server)
    report = json.loads(run("sync", "--dry-run", "--json").stdout)
    assert report["dryRun"] and report["sources"][0]["records"] == 6
    assert report["preview"][0]["source"] == "claude-code" and "requestId" in report["preview"][0]
    assert server_totals()["records"] == 0
    assert json.loads(run("sync", "--json").stdout)["recordsAdded"] == 6  # checkpoints untouched


class Flaky:
    """Real server behind a switch that makes chosen POST /api/sync calls fail."""

    def __init__(self, app, fail):
        self.app, self.fail, self.calls = app, fail, 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/sync":
            self.calls += 1
            answer = self.fail(self.calls)
            if answer:
                status, headers = answer
                start_response(status, [("Content-Type", "application/json"), *headers])
                return [b'{"error": {"code": "INTERNAL_ERROR", "message": "injected"}}']
        return self.app(environ, start_response)


@pytest.fixture
def flaky_server(app):
    servers = []

    def serve(fail):
        wrapper = Flaky(app, fail)
        server = make_server("127.0.0.1", 0, wrapper, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", wrapper

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_interrupted_sync_loses_nothing_and_resumes(home, login, flaky_server, monkeypatch):
    from burntop.client import sync as syncing

    monkeypatch.setattr(syncing, "BATCH_SIZE", 2)
    claude_history(home)  # 6 records: 3 batches
    url, wrapper = flaky_server(lambda n: ("500 INTERNAL SERVER ERROR", []) if n >= 2 else None)
    login(url)
    result = run("sync", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["recordsAdded"] == 2
    assert "500" in report["sources"][0]["error"]
    wrapper.fail = lambda n: None  # the network is back
    resumed = json.loads(run("sync", "--json").stdout)
    assert resumed["ok"] and resumed["recordsAdded"] == 4
    assert server_totals()["records"] == 6


def test_retries_honour_retry_after_and_5xx(home, login, flaky_server):
    claude_history(home)
    url, wrapper = flaky_server(lambda n: {1: ("429 TOO MANY REQUESTS", [("Retry-After", "1")]),
                                           2: ("503 SERVICE UNAVAILABLE", [])}.get(n))
    login(url)
    started = time.monotonic()
    report = json.loads(run("sync", "--json").stdout)
    assert report["ok"] and report["recordsAdded"] == 6
    assert wrapper.calls == 3 and time.monotonic() - started >= 1.0


def test_unreadable_and_malformed_input_is_skipped_with_one_warning(home, login, live_server):
    path = claude_history(home)
    append(path, '{"type": "assistant", "message": {"id": "broken"', '{"type":"assistant", nope}')
    (path.parent / "not-a-file.jsonl").mkdir()  # unreadable as a file
    login(live_server)
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert result.stderr.count("skipped") == 1 and "--verbose" in result.stderr
    assert server_totals()["records"] == 6
    verbose = CliRunner().invoke(main, ["stats", "--verbose", "--json"])
    assert "malformed line" in verbose.stderr


def test_status_shows_account_server_and_pending_records(home, login, live_server):
    path = claude_history(home)
    login(live_server)
    before = json.loads(run("status", "--json").stdout)
    assert (before["server"], before["user"]) == ("ok", "dev")
    assert before["sources"]["claude-code"] == {"lastSyncAt": None, "pendingRecords": 6}
    run("sync")
    append(path, assistant("msg_late", "req_late", at="2025-10-06T09:00:00.000Z"))
    after = json.loads(run("status", "--json").stdout)
    assert after["sources"]["claude-code"]["pendingRecords"] == 1
    assert after["sources"]["claude-code"]["lastSyncAt"]
    text = run("status").stdout
    assert "claude-code" in text and "1 record(s) pending" in text


def test_a_record_the_server_would_refuse_never_blocks_the_source(home, login, live_server):
    path = claude_history(home)
    a_year_ahead = datetime.now(timezone.utc) + timedelta(days=366)  # whenever the suite runs
    append(path, assistant("msg_future", "req_future", at=a_year_ahead.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
    login(live_server)
    first = CliRunner().invoke(main, ["sync", "--json"])
    assert first.exit_code == 0 and json.loads(first.stdout)["recordsAdded"] == 6
    assert "out-of-range" in first.stderr
    append(path, assistant("msg_next", "req_next", at="2025-10-07T09:00:00.000Z"))
    second = json.loads(run("sync", "--json").stdout)
    assert second["recordsAdded"] == 1 and server_totals()["records"] == 7


def test_since_sends_a_subset_and_a_later_sync_sends_the_rest(home, login, live_server):
    claude_history(home)
    login(live_server)
    partial = json.loads(run("sync", "--since", "2025-10-03", "--json").stdout)
    assert partial["recordsAdded"] == 2
    rest = json.loads(run("sync", "--json").stdout)
    assert (rest["recordsAdded"], rest["recordsSkipped"]) == (4, 2)
    assert server_totals()["records"] == 6


def test_the_parse_cache_is_private(home, tmp_path):
    import stat

    claude_history(home)
    assert run("stats", "--json").exit_code == 0
    cache = tmp_path / "config" / "cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache.iterdir())
