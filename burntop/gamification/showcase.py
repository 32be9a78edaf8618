"""A user's achievements, locked and unlocked, and the pinned showcase (spec 000: at most 6, unlocked only)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from burntop import cache
from burntop.extensions import db
from burntop.gamification.catalog import ACHIEVEMENTS, BY_ID
from burntop.gamification.evaluate import Outcome, change_and_evaluate
from burntop.gamification.snapshot import build_snapshot
from burntop.models import AchievementUnlock
from burntop.models.types import utcnow

MAX_PINNED = 6
PROGRESS_TTL = 600  # seconds: progress also moves with the calendar (streaks, days since sign-up)


class PinError(ValueError):
    """A pin request the rules refuse; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def progress_key(user_id: int) -> str:
    return f"achievement-progress:{user_id}"


def achievement_progress(user_id: int, now: datetime | None = None) -> dict[str, dict]:
    """Progress toward every achievement, from a per-user cache that each evaluation clears."""
    def measure() -> dict[str, dict]:
        snapshot = build_snapshot(user_id, now)
        return {a.id: a.progress(snapshot) for a in ACHIEVEMENTS}

    if now is not None:  # a moment of the caller's choosing is never cached
        return measure()
    return cache.cached(progress_key(user_id), measure, PROGRESS_TTL)


def forget_progress(user_id: int) -> None:
    cache.forget(progress_key(user_id))


def user_achievements(user_id: int, now: datetime | None = None) -> list[dict]:
    """Every achievement in catalog order as spec 000's GET /api/users/:username/achievements lists it."""
    unlocks = {u.achievement_id: u for u in db.session.scalars(
        select(AchievementUnlock).where(AchievementUnlock.user_id == user_id))}
    progress = achievement_progress(user_id, now)
    out = []
    for a in ACHIEVEMENTS:
        unlock = unlocks.get(a.id)
        out.append({
            "id": a.id, "name": a.name, "description": a.description, "rarity": a.rarity, "category": a.category,
            "icon": a.icon, "unlocked": unlock is not None,
            "unlockedAt": _iso(unlock.unlocked_at) if unlock else None,
            "pinned": bool(unlock and unlock.pinned),
            "progress": None if unlock else progress[a.id],
        })
    return out


def pinned_achievements(user_id: int) -> list[dict]:
    """The showcase: pinned achievements in the order they were pinned."""
    unlocks = db.session.scalars(select(AchievementUnlock).where(
        AchievementUnlock.user_id == user_id, AchievementUnlock.pinned.is_(True))
        .order_by(AchievementUnlock.pinned_at, AchievementUnlock.id))
    return [{"id": u.achievement_id, "name": BY_ID[u.achievement_id].name, "icon": BY_ID[u.achievement_id].icon,
             "rarity": BY_ID[u.achievement_id].rarity, "unlockedAt": _iso(u.unlocked_at)}
            for u in unlocks if u.achievement_id in BY_ID]


def set_pinned(user_id: int, achievement_id: str, pinned: bool, now: datetime | None = None) -> Outcome:
    """Pin or unpin an unlocked achievement (at most 6 pinned), then evaluate (pinning unlocks Show-Off).
    Raises PinError (404 unknown id, 400 not unlocked or too many pinned). Commits."""
    if achievement_id not in BY_ID:
        raise PinError(404, f"There is no achievement '{achievement_id}'.")
    now = now or utcnow()

    def pin() -> None:
        unlock = db.session.scalar(select(AchievementUnlock).where(
            AchievementUnlock.user_id == user_id, AchievementUnlock.achievement_id == achievement_id))
        if unlock is None:
            raise PinError(400, "Only unlocked achievements can be pinned.")
        if pinned and not unlock.pinned:
            count = db.session.scalar(select(func.count()).where(AchievementUnlock.user_id == user_id,
                                                                  AchievementUnlock.pinned.is_(True)))
            if count >= MAX_PINNED:
                raise PinError(400, f"At most {MAX_PINNED} achievements can be pinned; unpin one first.")
        if unlock.pinned != pinned:
            unlock.pinned, unlock.pinned_at = pinned, (now if pinned else None)
            db.session.flush()

    return change_and_evaluate(user_id, pin, now)[1]
