"""Profiles and the dashboard as JSON (spec 000): GET /api/users/<username>, /api/users/<username>/stats,
/api/dashboard/overview|trends|models|tools?period=all|month|week. Bodies come from burntop.stats.figures.

Cache headers (spec 000, "Best practices"), set by `cache_headers` only:
- a public profile seen by anyone but its owner: public, short (5 minutes) with stale-while-revalidate;
- what a signed-in user sees of their own (the dashboard, their own profile, public or private) and a
  private profile seen by an accepted follower: `private, no-store`.
"""
from __future__ import annotations

import orjson
from flask import Blueprint, Response, g, jsonify, request

from burntop.accounts.access import is_owner, visible_user_or_abort
from burntop.accounts.auth import api_auth_required
from burntop.errors import ApiError
from burntop.models import User
from burntop.stats import figures
from burntop.stats.periods import CALENDAR_PERIODS
from burntop.stats.profiles import user_profile

api_bp = Blueprint("stats_api", __name__, url_prefix="/api")

PUBLIC_CACHE = "public, max-age=300, stale-while-revalidate=300"
PRIVATE_CACHE = "private, no-store"


def cache_headers(response: Response, public: bool) -> Response:
    """THE cache policy of profile and dashboard JSON: short shared caching for public data, none for
    anything personal. Responses differ by who asks, so shared caches key them by the credentials."""
    response.headers["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    response.vary.update(("Authorization", "X-API-Key", "Cookie"))
    return response


def _profile_response(user: User, body: dict) -> Response:
    return cache_headers(jsonify(body), public=user.is_public and not is_owner(user))


def period_arg() -> str:
    """?period=all|month|week (default all); anything else is a 400 naming the allowed values."""
    value = request.args.get("period", "all")
    if value not in CALENDAR_PERIODS:
        raise ApiError(400, f"period must be one of: {', '.join(CALENDAR_PERIODS)}.",
                       details=[{"field": "period", "reason": "unknown value", "allowed": list(CALENDAR_PERIODS)}])
    return value


@api_bp.get("/users/<username>")
def profile(username: str):
    user = visible_user_or_abort(username)
    return _profile_response(user, user_profile(user))


@api_bp.get("/users/<username>/stats")
def stats(username: str):
    user = visible_user_or_abort(username)
    return _profile_response(user, figures.user_stats(user, public=not is_owner(user)))


def _json(body: dict) -> Response:
    """A JSON response encoded by orjson (keys sorted, as Flask's own would be): an all-time models or tools
    body of a heavy user is hundreds of KB, where the standard encoder was most of the request's time."""
    return Response(orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS),
                    mimetype="application/json")


def _dashboard(name: str):
    @api_auth_required
    def view():
        return cache_headers(_json(figures.dashboard_body(g.api_user, name, period_arg())), public=False)

    return view


for _name in figures.DASHBOARD:  # GET /api/dashboard/overview, /trends, /models, /tools
    api_bp.add_url_rule(f"/dashboard/{_name}", f"dashboard_{_name}", _dashboard(_name), methods=["GET"])
