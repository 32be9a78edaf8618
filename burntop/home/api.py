"""GET /api/health for monitors and load balancers."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from burntop.extensions import db
from burntop.models.types import utcnow
from burntop.redis_client import get_redis

bp = Blueprint("home_api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        log.exception("health: database check failed")
        db.session.rollback()
        return "error"


def _check_redis() -> str:
    redis = get_redis()
    if redis is None:
        return "not_configured"
    try:
        return "ok" if redis.ping() else "error"
    except Exception:
        log.warning("health: redis check failed", exc_info=True)
        return "error"


@bp.get("/health")
def health():
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(value != "error" for value in checks.values())
    response = jsonify({
        "status": "ok" if healthy else "error",
        "timestamp": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "checks": checks,
    })
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-cache"
    return response
