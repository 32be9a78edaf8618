"""Fixtures: a real database per test run (SQLite file or PostgreSQL), optional real Redis.

BURNTOP_TEST_DATABASE_URL  PostgreSQL server URL; each xdist worker gets its own database on it.
                           Unset: a SQLite file per worker (the embedded default).
BURNTOP_TEST_REDIS_URL     Redis URL; unset: no Redis (in-process jobs, in-memory limits). Tests
                           marked `redis` run only with it, tests marked `embedded` only without.
Under CI=true a configured PostgreSQL or Redis that cannot be reached fails the run; elsewhere it
stops the run with a message.
"""
from __future__ import annotations

import os
import uuid

import freezegun
import pytest
from sqlalchemy import text

from burntop import create_app
from burntop.extensions import db
from tests.serving import serving

# pytest times tests with _pytest.timing's clock: a frozen clock made --durations report nonsense.
freezegun.configure(extend_ignore_list=["_pytest.timing"])

PG_URL = os.environ.get("BURNTOP_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("BURNTOP_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is configured for this test run but unreachable: {error}"
    if IN_CI:
        pytest.exit(message, returncode=3)
    pytest.exit(message + " (start it, or unset the variable to test without it)", returncode=3)


def pytest_collection_modifyitems(config, items):
    """Tests for one configuration only are deselected in the other (not skipped)."""
    others = ["embedded" if REDIS_URL else "redis"] + ([] if PG_URL else ["postgres"])

    def elsewhere(item) -> bool:
        return any(item.get_closest_marker(other) is not None for other in others)

    kept = [item for item in items if not elsewhere(item)]
    deselected = [item for item in items if elsewhere(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# One database per test run and worker, so parallel runs on one server never meet.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                         connect_timeout=5) as conn:
        conn.execute(sql)


def _postgres_database_url() -> str:
    from burntop.config import normalize_database_url

    name = f"burntop_test_{RUN_ID}_{_worker_id()}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # psycopg.OperationalError: not running, refused, auth
        _unavailable("PostgreSQL", exc)
    base = normalize_database_url(PG_URL)
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        url = _postgres_database_url()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'burntop.db'}"
    if REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
        except redis.RedisError as exc:
            _unavailable("Redis", exc)
    _migrate(url)
    yield url
    if PG_URL:
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _truncate() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def app_config(database_url) -> dict:
    """Settings for one test; a test may change them before `app` is first used."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_URL,
        # A fresh prefix keeps Redis counters and caches from leaking between tests.
        "REDIS_KEY_PREFIX": f"burntop-test-{uuid.uuid4().hex[:12]}",
        "BURNTOP_BASE_URL": "http://testserver",
        # Reserved names (RFC 2606) that never resolve: setting an avatar never reaches the internet.
        "AVATAR_HOSTS": ("avatars.example", "avatars.example.com"),
    }


def _forget_cached_user() -> None:
    """The `app` fixture keeps one app context for a whole test and Flask-Login caches the user in
    `g`: forget it before each request, so every request loads its own session's user."""
    from flask import g

    g.pop("_login_user", None)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.before_request(_forget_cached_user)
    with app.app_context():
        _truncate()
        yield app
        db.session.remove()
        db.engine.dispose()
    redis = app.extensions.get("burntop_redis")
    if redis is not None:
        import redis as redis_py

        try:
            for key in redis.scan_iter(f"*{app_config['REDIS_KEY_PREFIX']}*"):
                redis.delete(key)
        except redis_py.ConnectionError:  # a test that points the app at a Redis that is down
            pass
        redis.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port, in a thread."""
    with serving(app) as address:
        yield address
