"""The bodies of GET /api/dashboard/overview, /trends, /models and /tools (spec 000), from the rollups.

Each takes the Period the caller chose (burntop.stats.periods: "all", "month", "week"...); its `end` is
the user's today and its `time_zone` the user's zone, so every boundary below is a local day.
"This week" starts on Monday, "this month" on the 1st, both in the user's zone.

Choices where the spec is silent:
- overview: always the three spec blocks (all time, this month, this week); the period changes nothing.
- weekOverWeek / monthOverMonth: relative change (0.15 = +15 %) of tokens and cost, this week so far
  (Monday to today) against the SAME days of last week, and this month so far against the same days of
  last month (its 1st to the same day number, cut at its last day), so a Tuesday never compares two
  days with seven. null when there is nothing to compare with (no usage in the earlier stretch).
  Both ignore the chosen period.
- usageOverTime: one entry per local day of the period, zero-filled, ascending; for "all" from the
  first day with usage (none: []).
- peakHours: 24 entries, hour 0-23 in the user's zone, all time (usage_hours keeps no dates).
- dayOfWeek: 7 entries Monday..Sunday over the chosen period.
- distribution: the period's models (or tools), most tokens first; percentage of the period's tokens.
- overTime: tokens per day and model (tool), only days and names with usage, by date then tokens.
- newModels / newTools: those whose first use EVER falls inside the period, newest first, with
  firstUsed (ISO-8601 UTC of the first record) and the period's tokens; for "all" every model (tool),
  i.e. the order in which the user took them up.
Costs are API-equivalent estimates in US dollars; ratios are rounded to four decimals.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from burntop.gamification.rules import level_info
from burntop.models import User
from burntop.stats import usage
from burntop.stats.periods import Period, day_range, resolve
from burntop.stats.profiles import streaks

WEEKDAYS = tuple(calendar.day_name)  # Monday first


def _sum(totals: dict[date, tuple[int, int]], start: date, end: date) -> tuple[int, int]:
    tokens = cost = 0
    for day in day_range(start, end):
        day_tokens, day_cost = totals.get(day, (0, 0))
        tokens += day_tokens
        cost += day_cost
    return tokens, cost


def change(now: int, before: int) -> float | None:
    """Relative change from `before` to `now`; None when there was nothing before."""
    return round((now - before) / before, 4) if before else None


def same_days_last_month(today: date) -> tuple[date, date]:
    """Last month's 1st to the day number of today (cut at last month's end)."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last.replace(day=min(today.day, last.day))


def comparisons(user: User, today: date) -> dict:
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    last_month = same_days_last_month(today)
    last_week = (week_start - timedelta(days=7), today - timedelta(days=7))
    first = min(last_month[0], last_week[0])
    totals = {day: (tokens, cost) for day, tokens, cost in usage.daily_totals(user, first, today)}
    result = {}
    for key, current, before in (("weekOverWeek", (week_start, today), last_week),
                                 ("monthOverMonth", (month_start, today), last_month)):
        (now_tokens, now_cost), (then_tokens, then_cost) = _sum(totals, *current), _sum(totals, *before)
        result[key] = {"tokens": change(now_tokens, then_tokens), "cost": change(now_cost, then_cost)}
    return result


def overview(user: User, period: Period) -> dict:
    today = period.end
    every = usage.summary(user, None)
    month = usage.summary(user, resolve("month", period.time_zone, today))
    week = usage.summary(user, resolve("week", period.time_zone, today))
    level = level_info(user.xp_centi)
    return {
        "allTime": {"totalTokens": every["tokens"], "totalCost": usage.dollars(every["cost_nanos"]),
                    "cacheEfficiency": round(every["cache_efficiency"], 4)},
        "thisMonth": {"totalTokens": month["tokens"], "totalCost": usage.dollars(month["cost_nanos"])},
        "thisWeek": {"totalTokens": week["tokens"], "totalCost": usage.dollars(week["cost_nanos"])},
        "streak": streaks(user),
        "level": {key: level[key] for key in ("level", "title", "currentXp", "xpToNextLevel")},
    }


def period_days(user: User, period: Period) -> tuple[date, date] | None:
    """The days a series of the period covers: from its start (for "all", the first day with usage)."""
    start = period.start or usage.first_day(user)
    if start is None or start > period.end:
        return None
    return start, period.end


def trends(user: User, period: Period) -> dict:
    days = period_days(user, period)
    series = usage.daily_totals(user, *days) if days else []
    return {
        **comparisons(user, period.end),
        "usageOverTime": [{"date": day.isoformat(), "tokens": tokens, "cost": usage.dollars(cost)}
                          for day, tokens, cost in series],
        "peakHours": [{"hour": hour, "tokens": tokens} for hour, tokens in enumerate(usage.hour_tokens(user))],
        "dayOfWeek": [{"day": WEEKDAYS[i], "tokens": tokens}
                      for i, tokens in enumerate(usage.weekday_tokens(user, period))],
    }


def _distribution(user: User, period: Period, by: str) -> tuple[list[dict], list[dict]]:
    items = usage.breakdown(user, period, by)
    distribution = [{by: item[by], "tokens": item["tokens"], "cost": usage.dollars(item["cost_nanos"]),
                     "percentage": item["percentage"]} for item in items]
    start = period.start.isoformat() if period.start else ""
    new = sorted((item for item in items if item["first_day"] >= start),
                 key=lambda item: (item["first_used"], item[by]), reverse=True)
    return distribution, [{by: item[by], "firstUsed": item["first_used"], "tokens": item["tokens"]} for item in new]


def models(user: User, period: Period) -> dict:
    distribution, new = _distribution(user, period, "model")
    return {"distribution": distribution, "overTime": usage.over_time(user, period, "model"), "newModels": new}


def tools(user: User, period: Period) -> dict:
    distribution, new = _distribution(user, period, "source")
    return {"distribution": distribution, "overTime": usage.over_time(user, period, "source"), "newTools": new}
