"""GET /api/health reports the database and Redis."""
from __future__ import annotations

import os

import pytest


def test_health_reports_ok(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["timestamp"].endswith("Z")
    expected_redis = "ok" if os.environ.get("BURNTOP_TEST_REDIS_URL") else "not_configured"
    assert body["checks"] == {"database": "ok", "redis": expected_redis}


@pytest.fixture
def broken_redis_app(app_config):
    from burntop import create_app

    return create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})


def test_an_unreachable_redis_is_503(broken_redis_app):
    with broken_redis_app.app_context():
        response = broken_redis_app.test_client().get("/api/health")
        from burntop.extensions import db
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["checks"]["redis"] == "error"
    broken_redis_app.extensions["burntop_redis"].close()
