"""GET /api/dashboard/machines: the signed-in user's per-computer breakdown (a burntop extension beside
spec 000's dashboard; documented in docs/API.md)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from burntop.accounts.auth import api_auth_required
from burntop.errors import ApiError
from burntop.stats import figures
from burntop.stats.periods import CALENDAR_PERIODS

api_bp = Blueprint("machines_api", __name__, url_prefix="/api/dashboard")


@api_bp.get("/machines")
@api_auth_required
def machines():
    name = request.args.get("period", "all")
    if name not in CALENDAR_PERIODS:
        raise ApiError(400, f"period must be one of: {', '.join(CALENDAR_PERIODS)}.",
                       details=[{"field": "period", "reason": "unknown value", "allowed": list(CALENDAR_PERIODS)}])
    user = g.api_user
    response = jsonify(figures.machines(user, name))
    response.headers["Cache-Control"] = "private, no-store"
    return response
