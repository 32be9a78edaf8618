"""Gamification JSON API: the achievement catalog, a user's achievements and level, pins (spec 000) and
the gamification profile (spec 001)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import and_, func, or_, select

from burntop.accounts.access import visible_user_or_abort
from burntop.accounts.auth import api_auth_required
from burntop.errors import ApiError
from burntop.extensions import db
from burntop.gamification import catalog, evaluate, rules, showcase
from burntop.models import AchievementUnlock, User

api_bp = Blueprint("gamification_api", __name__, url_prefix="/api")

LEADERBOARD_SIZE = 5
RANKED_PLACES = 10  # spec 001: userRank is null outside the top 10


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise ApiError(400, f"{name} must be one of: {', '.join(allowed)}.",
                       details=[{"field": name, "reason": "unknown value", "allowed": list(allowed)}])
    return value


@api_bp.get("/achievements")
def achievements():
    listed = catalog.select(_choice("category", catalog.CATEGORIES), _choice("rarity", catalog.RARITIES))
    response = jsonify({"achievements": [catalog.definition_json(a) for a in listed], "total": len(listed),
                        "byCategory": catalog.by_category(), "byRarity": catalog.by_rarity()})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@api_bp.get("/users/<username>/achievements")
def user_achievements(username: str):
    return jsonify({"achievements": showcase.user_achievements(visible_user_or_abort(username).id)})


@api_bp.get("/users/<username>/level")
def user_level(username: str):
    return jsonify(rules.level_info(visible_user_or_abort(username).xp_centi))


@api_bp.patch("/users/me/achievements/<achievement_id>/pin")
@api_auth_required
def pin(achievement_id: str):
    body = request.get_json(silent=True)
    pinned = body.get("pinned") if isinstance(body, dict) else None
    if not isinstance(pinned, bool):
        raise ApiError(400, 'Send {"pinned": true} or {"pinned": false} as JSON.')
    try:
        showcase.set_pinned(g.api_user.id, achievement_id, pinned)
    except showcase.PinError as error:
        raise ApiError(error.status, error.message) from None
    return jsonify({"success": True, "pinned": pinned})


def _leaderboard() -> list[dict]:
    """spec 001's top 5 by points among public profiles; equal points go to the earlier account."""
    rows = db.session.execute(select(User.id, User.name, User.xp_centi).where(User.is_public.is_(True))
                              .order_by(User.xp_centi.desc(), User.id).limit(LEADERBOARD_SIZE))
    board = []
    for user_id, name, xp_centi in rows:
        rank = rules.rank_info(xp_centi)
        board.append({"userId": str(user_id), "name": name or "Anonymous", "points": rules.xp_value(xp_centi),
                      "level": rank["level"], "title": rank["title"]})
    return board


def _user_rank(user: User) -> int | None:
    """1-indexed place among public profiles in the leaderboard's order; None past the top 10 or if private."""
    if not user.is_public:
        return None
    ahead = select(User.id).where(User.is_public.is_(True), or_(
        User.xp_centi > user.xp_centi, and_(User.xp_centi == user.xp_centi, User.id < user.id)))
    # Counting at most RANKED_PLACES rows ahead is enough to know whether the rank is shown.
    count = db.session.scalar(select(func.count()).select_from(ahead.limit(RANKED_PLACES).subquery()))
    return count + 1 if count < RANKED_PLACES else None


@api_bp.get("/gamification/profile")
@api_auth_required
def gamification_profile():
    user = g.api_user
    login = evaluate.record_login(user.id)
    db.session.refresh(user)
    unlocked = set(db.session.scalars(select(AchievementUnlock.achievement_id)
                                      .where(AchievementUnlock.user_id == user.id)))
    rank = rules.rank_info(user.xp_centi)
    response = jsonify({
        "badges": [catalog.badge_json(a) for a in catalog.ACHIEVEMENTS if a.id in unlocked],
        "points": rules.xp_value(user.xp_centi),
        "level": rank["level"],
        "title": rank["title"],
        "nextLevel": rank["nextLevel"],
        "progress": rank["progress"],
        "streak": login.streak,
        "badgeAwarded": login.badge_awarded,
        "leaderboard": _leaderboard(),
        "userRank": _user_rank(user),
        "availableBadges": [catalog.badge_json(a) for a in catalog.ACHIEVEMENTS if a.id not in unlocked],
    })
    response.headers["Cache-Control"] = "private, no-store"  # each request counts a visit
    return response
