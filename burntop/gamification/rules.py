"""XP, levels, rank tiers and streaks: plain functions, no Flask or database.

XP is kept in integer hundredths ("centi-XP") so referral shares such as 6.25 stay exact.

XP sources (each recorded once in the XP ledger under its own key):
- tokens: 1 XP per 10,000 tokens (input + output + cache write + cache read), a function of the
  all-time total, so it is recomputed, never added per sync;
- active days: 5 XP per local day with at least one record;
- usage-streak milestones: the first time the longest streak reaches 3/7/14/30/60/100/365 days;
- achievements: their xpReward;
- referrals: 25 / 6.25 / 2.5 XP per person referred directly / at the second / at the third level.

Levels: level 1 starts at 0 XP, level 2 at 50, level 3 at 150, and level L >= 4 at
200 + 25·(L-2)·(L-3) XP (250, 350, 500, 700, 950, 1,250, 1,600, 2,000, 2,450, 2,950, ...), so from
level 4 each level costs 50 XP more than the one before. Level 12 ("AI Adept") spans 2,450-2,950.
`progress` is the share of the next level's threshold already earned (xp / totalXpForNextLevel, floored
to hundredths): spec 000's example (2,450 XP -> 0.83) and spec 001's (150 points of 500 -> 30) both
read it this way.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import isqrt
from zoneinfo import ZoneInfo

TOKENS_PER_XP = 10_000
ACTIVE_DAY_XP = 5
STREAK_MILESTONE_XP = {3: 10, 7: 25, 14: 50, 30: 100, 60: 200, 100: 400, 365: 1000}
REFERRAL_XP_CENTI = {1: 2500, 2: 625, 3: 250}
MAX_REFERRAL_DEPTH = 3
LOGIN_BADGE_DAYS = (7, 30)

# (first level of the band, title)
LEVEL_TITLES = (
    (1, "Prompt Rookie"), (3, "Token Apprentice"), (6, "Code Conjurer"), (9, "Context Crafter"),
    (12, "AI Adept"), (16, "Model Whisperer"), (21, "Agent Architect"), (31, "Token Titan"),
    (46, "Inference Overlord"), (71, "Burn Legend"),
)

# spec 001's seven rank tiers: (points required, title)
RANK_TIERS = (
    (0, "Newcomer"), (100, "Beginner"), (500, "Intermediate"), (1_000, "Advanced"),
    (2_500, "Expert"), (5_000, "Master"), (10_000, "Legend"),
)


def xp_value(centi: int) -> int | float:
    """XP for JSON: a whole number when it is one, else the exact hundredths (6.25)."""
    return centi // 100 if centi % 100 == 0 else centi / 100


def tokens_xp_centi(total_tokens: int) -> int:
    """XP earned by an all-time token total."""
    return max(total_tokens, 0) * 100 // TOKENS_PER_XP


def active_days_xp_centi(active_days: int) -> int:
    """XP earned by the number of active days."""
    return max(active_days, 0) * ACTIVE_DAY_XP * 100


def streak_milestones(longest_streak: int) -> list[int]:
    """The streak milestones (in days) a longest streak has reached."""
    return [days for days in STREAK_MILESTONE_XP if longest_streak >= days]


def referral_xp_centi(depth: int) -> int:
    """XP for one person referred at `depth` (1 = directly), 0 past the third level."""
    return REFERRAL_XP_CENTI.get(depth, 0)


def level_threshold(level: int) -> int:
    """Whole XP needed to reach `level`."""
    if level < 1:
        raise ValueError("levels start at 1")
    if level <= 3:
        return (0, 50, 150)[level - 1]
    return 200 + 25 * (level - 2) * (level - 3)


def level_for_xp(xp_centi: int) -> int:
    """The level an XP total (in hundredths) has reached."""
    xp = max(xp_centi, 0) // 100  # thresholds are whole XP, so flooring cannot cross one
    if xp < 250:
        return 1 if xp < 50 else 2 if xp < 150 else 3
    budget = (xp - 200) // 25  # largest n = L-2 with n(n-1) <= budget
    n = (1 + isqrt(1 + 4 * budget)) // 2
    while n * (n + 1) <= budget:
        n += 1
    while n * (n - 1) > budget:
        n -= 1
    return n + 2


def level_title(level: int) -> str:
    """The title of a level's band."""
    return next(title for first, title in reversed(LEVEL_TITLES) if level >= first)


def level_info(xp_centi: int) -> dict:
    """spec 000's level object: level, title, currentXp, xpToNextLevel, totalXpForNextLevel, progress."""
    xp_centi = max(xp_centi, 0)
    level = level_for_xp(xp_centi)
    target = level_threshold(level + 1)
    return {
        "level": level,
        "title": level_title(level),
        "currentXp": xp_value(xp_centi),
        "xpToNextLevel": xp_value(target * 100 - xp_centi),
        "totalXpForNextLevel": target,
        "progress": (xp_centi // target) / 100,
    }


def rank_info(xp_centi: int) -> dict:
    """spec 001's rank: level 1-7, title, nextLevel (points), progress 0-100 (100 at Legend)."""
    xp_centi = max(xp_centi, 0)
    index = max(i for i, (points, _) in enumerate(RANK_TIERS) if xp_centi >= points * 100)
    next_points = RANK_TIERS[min(index + 1, len(RANK_TIERS) - 1)][0]
    return {
        "level": index + 1,
        "title": RANK_TIERS[index][1],
        "nextLevel": next_points,
        "progress": min(100, xp_centi // next_points),
    }


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int
    last_active_day: date | None


def local_today(tz_name: str, now: datetime) -> date:
    """The date it is now in a time zone."""
    return now.astimezone(ZoneInfo(tz_name)).date()


def usage_streaks(days: Iterable[date], today: date) -> Streaks:
    """Current and longest runs of consecutive active days; the current one is alive while the last
    active day is today or yesterday (a day ahead of today, from a fast clock, counts as today)."""
    ordered = sorted(set(days))
    if not ordered:
        return Streaks(0, 0, None)
    longest = run = 1
    for before, day in zip(ordered, ordered[1:]):
        run = run + 1 if (day - before).days == 1 else 1
        longest = max(longest, run)
    last = ordered[-1]
    return Streaks(run if last >= today - timedelta(days=1) else 0, longest, last)


def live_streak(current: int, last_active_day: date | None, today: date) -> int:
    """A stored current streak as it stands today: 0 once a whole day has passed without activity."""
    if last_active_day is None or last_active_day < today - timedelta(days=1):
        return 0
    return current


def next_login_streak(last_login_day: date | None, streak: int, today: date) -> tuple[int, int | None]:
    """The login streak after a visit today, and the badge length (7 or 30) reached by this visit."""
    if last_login_day is not None and last_login_day >= today:
        return max(streak, 1), None  # a second visit the same day (or a zone change back) changes nothing
    streak = streak + 1 if last_login_day == today - timedelta(days=1) else 1
    return streak, streak if streak in LOGIN_BADGE_DAYS else None
