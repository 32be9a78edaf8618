"""The figures a badge shows, as small JSON-able dicts: a user's (from the per-user figures cache, so a
sync that forgets their figures changes their badges too) or the demo's sample figures. The ETag is a
hash of exactly this data plus the request's parameters (burntop.badges.api)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from burntop.gamification.rules import level_info, level_title
from burntop.models import User
from burntop.stats import figures
from burntop.stats.periods import local_today

HEATMAP_WEEKS = 52


def heatmap_range(today: date, weeks: int = HEATMAP_WEEKS) -> tuple[date, date]:
    """The first day (a Monday) and last day (today) of the heatmap: `weeks` ISO weeks ending with today's."""
    return today - timedelta(days=today.weekday() + 7 * (weeks - 1)), today


def user_figures(user: User, heatmap: bool) -> dict:
    """All-time totals, streaks, level and (heatmap) tokens per local day of the last HEATMAP_WEEKS weeks, as
    anyone sees them: a badge is public, so days under review are left out (burntop.integrity)."""
    stats = figures.user_stats(user, public=True)
    today = local_today(user.timezone)
    body = {
        "username": user.username, "timeZone": user.timezone, "today": today.isoformat(), "sample": False,
        "tokens": stats["totalTokens"], "cost": stats["totalCost"],
        "currentStreak": stats["currentStreak"], "longestStreak": stats["longestStreak"],
        "achievements": stats["achievementsUnlocked"], "achievementsTotal": stats["achievementsTotal"],
        "level": user.level, "title": level_title(user.level),
    }
    if heatmap:
        body["days"] = [tokens for _, tokens in figures.daily_tokens(user, *heatmap_range(today), public=True)]
    return body


def demo_figures(today: date, heatmap: bool) -> dict:
    """Sample figures for /api/badge/demo: fixed totals and a seeded year of days (the same all day)."""
    level = level_info(1_234_500)["level"]
    body = {
        "username": "demo", "timeZone": "UTC", "today": today.isoformat(), "sample": True,
        "tokens": 48_210_734, "cost": 1_234.56, "currentStreak": 12, "longestStreak": 41,
        "achievements": 23, "achievementsTotal": 68, "level": level, "title": level_title(level),
    }
    if heatmap:
        start, end = heatmap_range(today)
        rng = random.Random(start.toordinal())
        days = []
        for i in range((end - start).days + 1):
            weekday = (start + timedelta(days=i)).weekday()
            active = rng.random() < (0.45 if weekday >= 5 else 0.8)
            days.append(int(rng.lognormvariate(12, 1.1)) if active else 0)
        body["days"] = days
    return body
