"""GET /api/insights' body for one user and period: their own figures from the rollups, their percentiles
against the stored community snapshot (burntop.stats.benchmarks), and the rules' insights and
recommendations (burntop.stats.insight_rules). A handful of queries on this user's rows and the
snapshot's few rows: nothing here reads other users."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select

from burntop import format as fmt
from burntop.database import safe_sum
from burntop.extensions import db
from burntop.gamification.rules import live_streak
from burntop.models import DailyRollup, UsageHour, User
from burntop.models.types import utcnow
from burntop.stats import benchmarks, insight_rules, periods
from burntop.stats.insight_rules import AUDIENCE, Figures, Rank
from burntop.stats.percentiles import MIN_POPULATION, share_above, share_below

PERIODS = periods.CALENDAR_PERIODS  # all | month | week
DEFAULT_PERIOD = "all"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _usage(user_id: int, period: periods.Period) -> tuple[dict, tuple[str, ...], int]:
    """The period's token sums, its priced models (most tokens first) and its active days."""
    r = DailyRollup
    where = [r.user_id == user_id, r.day <= period.end] + ([r.day >= period.start] if period.start else [])
    names = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
    rows = db.session.execute(
        select(r.model, *(func.coalesce(safe_sum(r.__table__.c[n]), 0) for n in names),
               func.coalesce(safe_sum(r.records), 0), func.coalesce(safe_sum(r.unpriced_records), 0))
        .where(*where).group_by(r.model)).all()
    sums = dict.fromkeys(names, 0)
    priced: list[tuple[int, str]] = []
    for model, *values in rows:
        tokens = [int(v) for v in values[:4]]
        for name, value in zip(names, tokens):
            sums[name] += value
        if int(values[5]) < int(values[4]):  # fewer unpriced records than records: some were priced
            priced.append((sum(tokens), model))
    days = db.session.scalar(select(func.count(func.distinct(r.day))).where(*where)) or 0
    return sums, tuple(model for _, model in sorted(priced, key=lambda p: (-p[0], p[1]))), int(days)


def _peak(user_id: int) -> tuple[tuple[int, int, int] | None, int]:
    """The all-time busiest local (weekday, hour, tokens) and the tokens of every hour together."""
    h = UsageHour
    rows = db.session.execute(select(h.weekday, h.hour, h.tokens).where(h.user_id == user_id, h.tokens > 0)).all()
    if not rows:
        return None, 0
    weekday, hour, tokens = max(rows, key=lambda row: (row.tokens, -row.weekday, -row.hour))
    return (weekday, hour, int(tokens)), sum(int(row.tokens) for row in rows)


def _own_value(metric: str, figures: Figures):
    return {"tokens": figures.tokens, "cacheEfficiency": benchmarks.efficiency(figures.cache_read_tokens,
                                                                              figures.prompt_tokens),
            "streak": figures.current_streak, "diversity": figures.models}[metric]


def _floor3(share: float) -> float:
    return math.floor(share * 1000 + 1e-9) / 1000


def _benchmark(period: periods.Period, rows: dict, now: datetime) -> dict:
    """Whether the stored snapshot can be used for this user's period, and what the body says about it."""
    if not rows:
        return {"status": "pending", "population": None, "computedAt": None,
                "message": "Community percentiles have not been computed yet; they are refreshed every 15 minutes."}
    computed = min(row.computed_at for row in rows.values())
    then = periods.resolve(period.name, period.time_zone, periods.local_today(period.time_zone, computed))
    population = rows["tokens"].population if "tokens" in rows else 0
    if then.start != period.start:
        return {"status": "pending", "population": None, "computedAt": _iso(computed),
                "message": f"A new {period.name} has begun since percentiles were last computed; they are refreshed "
                           "every 15 minutes."}
    if population < MIN_POPULATION:
        who = f"Only {fmt.plural(population, 'public user')}" if population else "No public users"
        return {"status": "too_few_users", "population": population, "computedAt": _iso(computed),
                "message": f"{who} to compare with ({AUDIENCE[period.name]}); percentiles need at least "
                           f"{MIN_POPULATION}."}
    return {"status": "ready", "population": population, "computedAt": _iso(computed),
            "message": f"Compared with {fmt.number(population)} {AUDIENCE[period.name]}; refreshed every 15 minutes."}


def _ranks(figures: Figures, rows: dict) -> dict[str, Rank]:
    ranks = {}
    for metric in benchmarks.METRICS:
        row, value = rows.get(metric), _own_value(metric, figures)
        if row is None or value is None or row.population < MIN_POPULATION:
            continue
        ranks[metric] = Rank(below=share_below(row.quantiles, row.population, value),
                             above=share_above(row.quantiles, row.population, value),
                             population=row.population, mean=row.mean)
    return ranks


def insights_for(user: User, period: str, now: datetime | None = None) -> dict:
    """The /api/insights body for `user` over `period` (all | month | week); ValueError for another period."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of: {', '.join(PERIODS)}")
    now = now or utcnow()
    today = periods.local_today(user.timezone, now)
    span = periods.resolve(period, user.timezone, today)
    sums, models, active = _usage(user.id, span)
    peak, hour_tokens = _peak(user.id) if period == "all" else (None, 0)
    figures = Figures(period=period, time_zone=user.timezone, days=span.days(), active_days=active,
                      priced_models=models, current_streak=live_streak(user.current_streak or 0,
                                                                      user.last_active_day, today),
                      longest_streak=user.longest_streak or 0, peak=peak, all_time_tokens=hour_tokens, **sums)
    rows = benchmarks.snapshot(period)
    benchmark = _benchmark(span, rows, now)
    if benchmark["status"] == "ready":
        figures = replace(figures, ranks=_ranks(figures, rows))
    percentiles = {metric: (_floor3(figures.ranks[metric].below) if metric in figures.ranks else None)
                   for metric in benchmarks.METRICS}
    return {
        "percentiles": percentiles,
        "insights": insight_rules.insights(figures),
        "recommendations": insight_rules.recommendations(figures),
        "period": period, "periodLabel": span.label, "timeZone": user.timezone,
        "from": span.start.isoformat() if span.start else None, "to": span.end.isoformat(),
        "figures": {"totalTokens": figures.tokens, "cacheEfficiency": figures.cache_efficiency,
                    "currentStreak": figures.current_streak, "longestStreak": figures.longest_streak,
                    "distinctModels": figures.models, "activeDays": figures.active_days},
        "benchmark": benchmark,
    }
