"""The bodies of GET /api/users/:username and /api/users/:username/stats (spec 000), from the user's row
and the daily rollups.

Choices where the spec is silent:
- `image` is the picture URL the user set (as PATCH /api/users/me answers it), or null.
- `currentStreak` is the stored streak as it stands today in the user's zone: 0 once a whole local day
  has passed without usage (burntop.gamification.rules.live_streak); `longestStreak` is the stored one.
- `topModels` / `topSources`: the TOP_N largest by all-time tokens; `percentage` is each one's share of
  ALL the user's tokens (one decimal), so the listed shares may add up to less than 100.
- `achievementsUnlocked` counts unlocks of achievements in the catalog; `achievementsTotal` is the
  catalog's size (68).
- `totalCost` is an API-equivalent estimate in US dollars, `cacheEfficiency` 0..1 to four decimals.
"""
from __future__ import annotations

from sqlalchemy import func, select

from burntop.extensions import db
from burntop.gamification import catalog
from burntop.gamification.rules import live_streak, xp_value
from burntop.models import AchievementUnlock, User
from burntop.stats import usage
from burntop.stats.periods import local_today

TOP_N = 5


def user_profile(user: User) -> dict:
    return {
        "id": str(user.id), "username": user.username, "name": user.name, "image": user.image, "bio": user.bio,
        "location": user.location, "websiteUrl": user.website, "level": user.level,
        "xp": xp_value(user.xp_centi), "isPublic": user.is_public, "createdAt": usage.iso_utc(user.created_at),
    }


def streaks(user: User) -> dict:
    """{"current": ..., "longest": ...} as they stand today in the user's zone."""
    today = local_today(user.timezone)
    return {"current": live_streak(user.current_streak, user.last_active_day, today),
            "longest": max(user.longest_streak, 0)}


def achievements_unlocked(user: User) -> int:
    known = [a.id for a in catalog.ACHIEVEMENTS]
    return int(db.session.scalar(select(func.count()).select_from(AchievementUnlock).where(
        AchievementUnlock.user_id == user.id, AchievementUnlock.achievement_id.in_(known))) or 0)


def top(user: User, by: str, limit: int = TOP_N) -> list[dict]:
    """spec 000's topModels / topSources entries: {<by>, tokens, percentage}."""
    return [{by: item[by], "tokens": item["tokens"], "percentage": item["percentage"]}
            for item in usage.breakdown(user, None, by, first_use=False)[:limit]]


def user_stats(user: User) -> dict:
    totals = usage.summary(user, None)
    streak = streaks(user)
    return {
        "totalTokens": totals["tokens"],
        "totalCost": usage.dollars(totals["cost_nanos"]),
        "cacheEfficiency": round(totals["cache_efficiency"], 4),
        "currentStreak": streak["current"],
        "longestStreak": streak["longest"],
        "achievementsUnlocked": achievements_unlocked(user),
        "achievementsTotal": len(catalog.ACHIEVEMENTS),
        "topModels": top(user, "model"),
        "topSources": top(user, "source"),
    }
