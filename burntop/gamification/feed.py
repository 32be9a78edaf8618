"""Activity rows (the feed) and notification rows for unlocks, level-ups and streak milestones.

Each row carries a dedupe key naming its event, so an event makes one row however often it is evaluated.
"""
from __future__ import annotations

from datetime import datetime

from burntop.extensions import db
from burntop.gamification.catalog import AchievementDef
from burntop.models import Activity, Notification
from burntop.database import insert as _insert


def _insert_new(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    stmt = _insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    return sorted(db.session.scalars(stmt, rows))


def achievement_data(a: AchievementDef) -> dict:
    """spec 000's data of an achievement_unlocked activity or notification."""
    return {"achievementId": a.id, "achievementName": a.name, "achievementIcon": a.icon}


def record_unlocks(user_id: int, unlocked: list[AchievementDef], now: datetime) -> list[int]:
    """One activity and one notification per unlocked achievement; returns the new activity ids."""
    _insert_new(Notification, [{
        "user_id": user_id, "type": "achievement_unlocked", "title": "Achievement Unlocked!",
        "message": f"You unlocked the {a.name} achievement", "data": achievement_data(a), "read": False,
        "dedupe_key": f"achievement_unlocked:{user_id}:{a.id}", "created_at": now} for a in unlocked])
    return _insert_new(Activity, [{
        "user_id": user_id, "type": "achievement_unlocked", "data": achievement_data(a),
        "dedupe_key": f"achievement_unlocked:{user_id}:{a.id}", "created_at": now} for a in unlocked])


def record_level_up(user_id: int, level: int, title: str, now: datetime) -> list[int]:
    """An activity and a notification for reaching a level (once per level)."""
    data = {"level": level, "title": title}
    _insert_new(Notification, [{
        "user_id": user_id, "type": "level_up", "title": "Level Up!", "message": f"You reached level {level}: {title}",
        "data": data, "read": False, "dedupe_key": f"level_up:{user_id}:{level}", "created_at": now}])
    return _insert_new(Activity, [{"user_id": user_id, "type": "level_up", "data": data,
                                   "dedupe_key": f"level_up:{user_id}:{level}", "created_at": now}])


def record_streak_milestone(user_id: int, days: int, now: datetime) -> list[int]:
    """An activity and a notification for a usage-streak milestone (3, 7, 14, 30, 60, 100, 365 days), once each."""
    _insert_new(Notification, [{
        "user_id": user_id, "type": "streak_milestone", "title": "Streak milestone!",
        "message": f"You coded with AI {days} days in a row", "data": {"streak": days}, "read": False,
        "dedupe_key": f"streak_milestone:{user_id}:{days}", "created_at": now}])
    return _insert_new(Activity, [{"user_id": user_id, "type": "streak_milestone", "data": {"streak": days},
                                   "dedupe_key": f"streak_milestone:{user_id}:{days}", "created_at": now}])
