"""GET /api/health for monitors and load balancers.

503 only when this node cannot serve: its database is unreachable. Redis down is "degraded" with 200:
every node falls back the same way (limits in memory, caches computed here, recorded work swept up
later), so a load balancer pulling nodes on it would take the whole site down for nothing.
"""
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
    status = "error" if checks["database"] == "error" else "degraded" if checks["redis"] == "error" else "ok"
    response = jsonify({
        "status": status,
        "timestamp": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "checks": checks,
    })
    response.status_code = 503 if status == "error" else 200
    response.headers["Cache-Control"] = "no-cache"
    return response
