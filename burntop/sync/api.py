"""POST /api/sync: the CLI's upload endpoint (spec 000)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from burntop.accounts.tokens import token_required
from burntop.edge import raw_body
from burntop.errors import ApiError
from burntop.extensions import limiter
from burntop.format import plural
from burntop.gamification.evaluate import evaluate_after_commit
from burntop.gamification.rules import level_info, xp_value
from burntop.leaderboard.snapshots import mark_touched
from burntop.sync import rebucket, schema  # noqa: F401  (rebucket listens for time-zone changes)
from burntop.sync.ingest import ingest

bp = Blueprint("sync_api", __name__, url_prefix="/api")


def _sync_limit() -> str:
    return current_app.config["SYNC_RATE_LIMIT"]


def _user_key() -> str:
    # The prefix lives in the key (not RATELIMIT_KEY_PREFIX) because the limiter object is shared by apps.
    return f"{current_app.config['REDIS_KEY_PREFIX']}:sync:user:{g.api_user.id}"


@bp.post("/sync")
@raw_body  # schema.parse reads the bytes itself, with its own nesting cap and string rules
@token_required
@limiter.limit(_sync_limit, key_func=_user_key)
def sync():
    if not request.is_json:
        raise ApiError(415, "Send the batch as JSON with Content-Type: application/json.")
    try:
        body, problems = schema.parse(request.get_data(cache=False))
    except schema.TooLarge:
        raise ApiError(413, f"At most {schema.MAX_RECORDS:,} records and {schema.MAX_SESSIONS:,} sessions per request.")
    if body is None:
        bad = sorted({p["index"] for p in problems if "index" in p})
        message = (f"{plural(len(bad), 'invalid item')}; nothing was stored." if bad
                   else "Invalid request body; nothing was stored.")
        raise ApiError(400, message, details=problems[:1000])
    user = g.api_user
    result = ingest(user.id, body.records, body.sessions)
    if result.added:  # after the commit: the boards this batch touched are stale
        mark_touched({r.source for r in body.records}, {r.model for r in body.records})
    # The batch is committed: the answer is 200 whatever happens next. A failed evaluation is logged
    # and retried by a job (it was recorded with the batch), and reports no achievements here.
    outcome = evaluate_after_commit(user.id)
    return jsonify({
        "success": True,
        "recordsAdded": result.added,
        "recordsSkipped": result.skipped,
        "achievements": outcome.unlocked,
        "leveledUp": outcome.leveled_up,
        "newLevel": outcome.new_level,
        # Beyond spec 000: what the CLI shows after a sync, at no extra cost.
        "xpGained": xp_value(outcome.xp_gained_centi),
        "level": level_info(outcome.xp_centi),
        # One request carries several sources; the CLI reports each source's share.
        "sources": {source: {"added": added, "skipped": skipped} for source, (added, skipped) in result.by_source.items()},
    })
