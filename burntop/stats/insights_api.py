"""GET /api/insights: the signed-in user's percentiles, insights and recommendations (spec 000)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from burntop.accounts.auth import api_auth_required
from burntop.errors import ApiError
from burntop.stats import figures
from burntop.stats.insights import DEFAULT_PERIOD, PERIODS

api_bp = Blueprint("insights_api", __name__, url_prefix="/api")


@api_bp.get("/insights")
@api_auth_required
def insights():
    period = request.args.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        raise ApiError(400, f"period must be one of: {', '.join(PERIODS)}.",
                       details=[{"field": "period", "reason": "unknown value", "allowed": list(PERIODS)}])
    response = jsonify(figures.insights(g.api_user, period))
    response.headers["Cache-Control"] = "private, no-store"
    return response
