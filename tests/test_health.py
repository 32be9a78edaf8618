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


def test_an_unreachable_redis_is_degraded_but_still_200(broken_redis_app):
    # Every node loses the same Redis: a load balancer must not pull them all, so 200 with "degraded".
    with broken_redis_app.app_context():
        response = broken_redis_app.test_client().get("/api/health")
        from burntop.extensions import db
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "redis": "error"}
    broken_redis_app.extensions["burntop_redis"].close()


def test_an_unreachable_database_is_503(app_config):
    from burntop import create_app

    broken = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"})
    with broken.app_context():
        response = broken.test_client().get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error" and response.get_json()["checks"]["database"] == "error"
