"""GET /api/v1/public/<public_id>: spec 002's read-only usage summary, at an address its owner hands out.

- The id is the owner's `public_api_id` (Settings -> Public API turns it on or off and rotates it): an
  unknown id, an id that was rotated away, or an API turned off is 404 `not_found`, the same answer for
  each so none of them can be told apart.
- `period` is 7d (the default), 30d or 90d: that many local days in the owner's time zone, today
  included; anything else is 400 `invalid_period`. `fields` filters (burntop.stats.public_summary).
- Each id has its own rate limit (PUBLIC_API_RATE_LIMIT, 429 `rate_limited` with Retry-After).
- It reads daily_rollups and coding_sessions only, never raw usage records, and leaves out days under
  plausibility review (burntop.integrity.exclude).
- Anyone with the address may read it, from anywhere: `Access-Control-Allow-Origin: *` (no cookie is
  ever needed or read), and shared caches may keep an answer a few minutes (CACHE_CONTROL). A request
  that carries a browser session gets `private, no-store`, so no shared cache stores a response that
  may set a cookie.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import orjson
from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select

from burntop.errors import ApiError
from burntop.extensions import db, limiter
from burntop.integrity.exclude import trusted
from burntop.models import CodingSession, DailyRollup, User
from burntop.models.types import utcnow
from burntop.stats import periods
from burntop.stats import figures
from burntop.stats.public_summary import (ApplicationRow, RollupRow, SessionDay, parse_fields, select_fields,
                                          summary)

api_bp = Blueprint("public_api", __name__, url_prefix="/api/v1/public")

PERIODS = ("7d", "30d", "90d")
DEFAULT_PERIOD = "7d"
MAX_ID_LENGTH = 36  # users.public_api_id: a UUID
# spec 000's "Best practices": dynamic user data is cached briefly, then served stale while revalidated.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600"
EXPOSED_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


def _limit() -> str:
    return current_app.config["PUBLIC_API_RATE_LIMIT"]


def _id_key() -> str:
    # The prefix lives in the key because the limiter object is shared by apps (see burntop.sync.api).
    public_id = (request.view_args or {}).get("public_id", "")[:MAX_ID_LENGTH]
    return f"{current_app.config['REDIS_KEY_PREFIX']}:public-api:id:{public_id}"


def _owner(public_id: str) -> User:
    user = None
    if len(public_id) <= MAX_ID_LENGTH:
        user = db.session.scalar(select(User).where(User.public_api_id == public_id,
                                                    User.public_api_enabled.is_(True)))
    if user is None:
        raise ApiError(404, "User not found or API access disabled.", "not_found")
    return user


def _rollups(user_id: int, start: date, end: date) -> tuple[list[RollupRow], list[ApplicationRow]]:
    """The period's rollups summed in the database: per day and model, and events per application.
    (Summing there is what keeps a 90-day answer fast: a heavy user has a row per day, tool and model.)"""
    r = DailyRollup
    period = (r.user_id == user_id, r.day >= start, r.day <= end, trusted(r.user_id, r.day))
    sums = [func.sum(column) for column in (
        r.records, r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens, r.latency_ms_sum,
        r.latency_count, r.success_count, r.outcome_count)]
    daily = db.session.execute(select(r.day, r.model, r.provider, *sums).where(*period)
                               .group_by(r.day, r.model, r.provider)).all()
    applications = db.session.execute(select(r.source, r.model, r.provider, func.sum(r.records)).where(*period)
                                      .group_by(r.source, r.model, r.provider)).all()
    return ([RollupRow(day, model, provider, *(int(value) for value in values))
             for day, model, provider, *values in daily],
            [ApplicationRow(source, model, provider, int(records)) for source, model, provider, records in applications])


def _sessions(user_id: int, start: date, end: date) -> list[SessionDay]:
    s = CodingSession
    # A local day lies within a day either side of the same UTC date: the started_at bounds let the
    # (user_id, started_at) index find the rows, the day bounds pick them exactly.
    after = datetime.combine(start - timedelta(days=1), time(), timezone.utc)
    before = datetime.combine(end + timedelta(days=2), time(), timezone.utc)
    rows = db.session.execute(
        select(s.day, func.count(), func.sum(s.commits), func.sum(s.active_seconds), func.sum(s.lines_of_code))
        .where(s.user_id == user_id, s.started_at >= after, s.started_at < before, s.day >= start, s.day <= end,
               trusted(s.user_id, s.day))
        .group_by(s.day)
    ).all()
    return [SessionDay(day, int(count), int(commits or 0), int(active or 0), int(lines or 0))
            for day, count, commits, active, lines in rows]


@api_bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    response.vary.add("Cookie")  # the Cache-Control below depends on it
    if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        response.headers["Cache-Control"] = "private, no-store"
    elif response.status_code == 200 and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = CACHE_CONTROL
    else:  # an answer that changes the moment the owner turns the API on, or the limit resets
        response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.get("/<public_id>")
@limiter.limit(_limit, key_func=_id_key)
def usage_summary(public_id: str):
    name = request.args.get("period", DEFAULT_PERIOD)
    if name not in PERIODS:
        raise ApiError(400, "period must be one of 7d, 30d, 90d.", "invalid_period")
    fields = parse_fields(",".join(request.args.getlist("fields")))  # fields=a&fields=b is fields=a,b
    user = _owner(public_id)
    now = utcnow()
    period = periods.resolve(name, user.timezone, periods.local_today(user.timezone, now))

    def build() -> dict:
        rollups, applications = _rollups(user.id, period.start, period.end)
        return summary(user.display_name, periods.day_range(period.start, period.end), rollups, applications,
                       _sessions(user.id, period.start, period.end), now)

    # Memoized with the owner's other figures: a sync, a name change or a review decision forgets it.
    document = figures.cached(user, f"public-v1:{name}", build)
    # orjson keeps spec 002's key order (Flask's JSON would sort the keys).
    return Response(orjson.dumps(select_fields(document, fields)), mimetype="application/json")
