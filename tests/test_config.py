"""Settings come from the environment; production refuses unsafe defaults."""
from __future__ import annotations

import pytest

from burntop import create_app
from burntop.config import DEFAULT_SECRET, from_environment, normalize_database_url


def test_defaults(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "BURNTOP_ENV", "BURNTOP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'burntop.db'}"
    assert config["REDIS_URL"] is None
    assert config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024
    assert config["SYNC_RATE_LIMIT"] == "10 per minute"


@pytest.mark.parametrize("url,expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_urls_use_psycopg3(url, expected):
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET, "short"])
def test_production_refuses_a_weak_secret(monkeypatch, secret):
    monkeypatch.setenv("BURNTOP_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, app_config):
    monkeypatch.setenv("BURNTOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    app = create_app({k: v for k, v in app_config.items() if k != "SECRET_KEY"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions.get("burntop_redis") and app.extensions["burntop_redis"].close()


def test_the_gunicorn_entry_point_refuses_the_default_secret(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=str(__import__("pathlib").Path(__file__).parent.parent),
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_a_misspelt_blueprint_module_stops_start_up(app_config, monkeypatch):
    import burntop

    monkeypatch.setattr(burntop, "BLUEPRINT_MODULES", burntop.BLUEPRINT_MODULES + ("burntop.no_such_feature",))
    with pytest.raises(ModuleNotFoundError):
        burntop.create_app(app_config)


def test_a_misspelt_client_source_fails_loudly(monkeypatch):
    from burntop.client import sources

    monkeypatch.setattr(sources, "MODULES", sources.MODULES + ("no_such_tool",))
    with pytest.raises(ModuleNotFoundError):
        sources.all_sources()
