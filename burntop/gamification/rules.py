"""XP, levels, rank tiers and streaks: plain functions, no Flask or database.

XP is kept in integer hundredths ("centi-XP") so referral shares such as 6.25 stay exact.

XP sources (each recorded once in the XP ledger under its own key):
- tokens: a curve with diminishing returns per LOCAL day (below), summed over the user's days, so it is
  recomputed from the daily rollups, never added per sync;
- active days: 5 XP per local day with at least one record;
- usage-streak milestones: the first time the longest streak reaches 3/7/14/30/60/100/365 days;
- achievements: their xpReward;
- referrals: 25 / 6.25 / 2.5 XP per person referred directly / at the second / at the third level.

Token XP per local day. The day's tokens are first weighted like their price relative to fresh input:
input and output 1, cache writes 1.25, cache reads 0.1. In our price table (burntop/pricing/prices.json,
Nov 2026) 979 of the 2,065 models with a cache-read price charge 0.1x input for it (Claude, GPT-5,
Gemini 2.5, DeepSeek; next come 0.2x: 194, 0.25x: 167, 0.5x: 117, e.g. GPT-4o), and 520 of the 638 with
a cache-write price charge 1.25x (Anthropic's 5-minute writes; its 1-hour writes cost 2x, OpenAI and
Google add nothing). One weight for every model, so XP does not depend on which model did the work.
Then, with W the day's weighted tokens:
- up to the knee, W <= 20,000: 1 XP per 10,000 weighted tokens (the old rule), so 2 XP at the knee;
- beyond it, +2 XP for every doubling of W: 2 XP x (1 + log2(W / 20,000)), linear between powers of
  two (W = 40,000 -> 4 XP, 80,000 -> 6, 160,000 -> 8, ...), so it is exact in integer arithmetic.
A day of 1,000,000 fresh tokens earns 13.12 XP; a day of 500,000,000 tokens of which 475,000,000 are
cache reads (W = 73,750,000) 25.6 XP; 10,000,000,000 fresh tokens 39.81 XP. Each day counts alone:
more records on a day already counted replace that day's XP (the curve of its new total), they never
add a second curve. Hundredths are floored per day, then summed, so the total is exact.
Worked examples over a week, a month and a year: README "Gamification" (figures from
tests/gamification/test_xp_curve.py, which computes them with these functions).

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

TOKENS_PER_XP = 10_000  # below the knee: 1 XP per 10,000 weighted tokens of a day
# Token weights in twentieths of a fresh token, so weighted sums stay integers: 1, 1.25, 0.1.
WEIGHT_SCALE = 20
FRESH_WEIGHT, CACHE_WRITE_WEIGHT, CACHE_READ_WEIGHT = 20, 25, 2
DAY_XP_KNEE_TOKENS = 20_000  # weighted tokens of a day where the curve turns logarithmic
XP_PER_DOUBLING = DAY_XP_KNEE_TOKENS // TOKENS_PER_XP  # 2 XP at the knee and for each doubling beyond
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


def weighted_tokens_twentieths(fresh: int, cache_write: int, cache_read: int) -> int:
    """A day's tokens weighted like their price, in twentieths of a token (exact): fresh (input +
    output) 1, cache writes 1.25, cache reads 0.1."""
    return (FRESH_WEIGHT * max(fresh, 0) + CACHE_WRITE_WEIGHT * max(cache_write, 0)
            + CACHE_READ_WEIGHT * max(cache_read, 0))


def day_tokens_xp_centi(fresh: int, cache_write: int = 0, cache_read: int = 0) -> int:
    """XP (hundredths, floored) earned by one local day's tokens: linear up to the knee, then
    XP_PER_DOUBLING more for each doubling of the weighted tokens, linear between powers of two."""
    weighted = weighted_tokens_twentieths(fresh, cache_write, cache_read)
    knee = DAY_XP_KNEE_TOKENS * WEIGHT_SCALE
    step = XP_PER_DOUBLING * 100
    if weighted <= knee:
        return weighted * step // knee
    doublings = (weighted // knee).bit_length() - 1  # largest n with knee * 2**n <= weighted
    base = knee << doublings
    return step * (1 + doublings) + step * (weighted - base) // base


def tokens_xp_centi(days: Iterable[tuple[int, int, int]]) -> int:
    """XP earned by tokens: the sum over local days of each day's (fresh, cache write, cache read)."""
    return sum(day_tokens_xp_centi(*day) for day in days)


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
