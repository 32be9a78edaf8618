"""GET /api/leaderboard (spec 000): a page of a stored board, and the signed-in viewer's own entry."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from burntop.accounts.auth import api_user
from burntop.errors import ApiError
from burntop.leaderboard import board, rules

api_bp = Blueprint("leaderboard_api", __name__, url_prefix="/api")


def parse_or_400(args, default_limit: int = rules.DEFAULT_LIMIT) -> board.Query:
    try:
        return board.parse(args, default_limit)
    except rules.BoardError as error:
        detail = {"field": error.field, "reason": str(error)}
        if error.allowed:
            detail["allowed"] = list(error.allowed)
        raise ApiError(400, str(error), details=[detail])


def entry_json(board_type: str, row) -> dict:
    return {"rank": row.rank, "userId": str(row.user_id), "username": row.username, "name": row.name,
            "image": row.image, "level": row.level, "score": rules.score_value(board_type, row.score),
            "scoreLabel": rules.score_label(board_type, row.score), "trend": row.trend}


@api_bp.get("/leaderboard")
def leaderboard():
    query = parse_or_400(request.args)
    viewer = api_user()
    if query.type == "friends" and viewer is None:
        raise ApiError(401, "The friends leaderboard needs you signed in (or an API key).")
    result = board.load(query, viewer.id if viewer else None)
    stored_type = result.key.type
    entry = result.viewer_entry
    response = jsonify({
        "entries": [entry_json(stored_type, row) for row in result.page.rows],
        "nextCursor": result.page.next_cursor,
        "hasMore": result.page.has_more,
        "userEntry": {"rank": entry[0], "score": rules.score_value(stored_type, entry[1]),
                      "scoreLabel": rules.score_label(stored_type, entry[1])} if entry else None,
        # Beyond spec 000: what the board covers and when it was computed.
        "type": query.type, "period": result.key.period,
        "window": rules.describe_period(stored_type, result.key.period),
        "computedAt": result.computed_at.isoformat().replace("+00:00", "Z") if result.computed_at else None,
    })
    response.headers["Cache-Control"] = "private, no-store" if viewer else "public, max-age=30"
    response.vary.update(("Cookie", "Authorization", "X-API-Key"))
    return response
