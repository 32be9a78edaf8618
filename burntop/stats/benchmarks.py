"""Community benchmarks for /api/insights: a periodic job summarizes every public user's figures per
period into percentile_snapshots, and a request reads only those few rows (burntop.stats.percentiles).

Population of a period: public, non-demo users with at least one daily rollup in that period, each
period taken in the user's own time zone (this ISO week from Monday, this calendar month, all time).
Metrics, all read from daily_rollups and the users row, never from raw records:
- tokens: input + output + cache creation + cache read tokens in the period;
- cacheEfficiency: cache read / (input + cache creation + cache read) in the period, among users with
  any prompt tokens in it (burntop.gamification.snapshot.Snapshot.cache_efficiency);
- streak: the current streak of consecutive active days as it stands today (users.current_streak, 0 once
  a whole local day has passed without activity), whatever the period;
- diversity: distinct priced models used in the period (as the achievements count them).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy import and_, case, func, select

from burntop.database import insert, safe_sum
from burntop.extensions import db
from burntop.gamification.rules import live_streak
from burntop.models import DailyRollup, PercentileSnapshot, User
from burntop.models.types import utcnow
from burntop.stats import periods
from burntop.stats.percentiles import summarize

METRICS = ("tokens", "cacheEfficiency", "streak", "diversity")
REFRESH_EVERY = 15 * 60  # seconds: the periodic job's interval (burntop.jobs.SCHEDULE)
EMBEDDED_CHECK_EVERY = 60  # seconds between age checks when there is no worker


def tokens_expr(r=DailyRollup):
    return r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens


def prompt_expr(r=DailyRollup):
    return r.input_tokens + r.cache_creation_tokens + r.cache_read_tokens


def priced_models_expr(r=DailyRollup):
    """Distinct models with at least one priced record: invented model names count for nothing."""
    return func.count(func.distinct(case((r.unpriced_records < r.records, r.model))))


def efficiency(cache_read: int, prompt: int) -> float | None:
    """cache read / prompt tokens, or None without prompt tokens."""
    return cache_read / prompt if prompt else None


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def _people() -> list:
    return db.session.execute(select(User.id, User.timezone, User.current_streak, User.last_active_day)
                              .where(User.is_public.is_(True), User.is_demo.is_(False))).all()


def period_values(name: str, now: datetime | None = None) -> dict[str, list]:
    """Every population value of each metric for period `name` (the job's full scan)."""
    now = now or utcnow()
    people = _people()
    zones = {person.timezone: _zone(person.timezone) for person in people}
    today = {tz: periods.local_today(zone, now) for tz, zone in zones.items()}
    bounds = {tz: periods.resolve(name, zones[tz], today[tz]) for tz in zones}
    r = DailyRollup
    where = [User.is_public.is_(True), User.is_demo.is_(False)]
    if bounds:
        where.append(r.day <= case({tz: b.end for tz, b in bounds.items()}, value=User.timezone))
        if name != "all":
            where.append(r.day >= case({tz: b.start for tz, b in bounds.items()}, value=User.timezone))
    rows = db.session.execute(
        select(r.user_id, func.coalesce(safe_sum(tokens_expr()), 0), func.coalesce(safe_sum(r.cache_read_tokens), 0),
               func.coalesce(safe_sum(prompt_expr()), 0), priced_models_expr())
        .join(User, User.id == r.user_id).where(and_(*where)).group_by(r.user_id)).all()
    streaks = {p.id: live_streak(p.current_streak or 0, p.last_active_day, today[p.timezone]) for p in people}
    values: dict[str, list] = {metric: [] for metric in METRICS}
    for user_id, tokens, cache_read, prompt, models in rows:
        values["tokens"].append(int(tokens))
        ratio = efficiency(int(cache_read), int(prompt))
        if ratio is not None:
            values["cacheEfficiency"].append(ratio)
        values["streak"].append(streaks.get(user_id, 0))
        values["diversity"].append(int(models))
    return values


def refresh_percentiles(now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Recompute every period's snapshot in one transaction; returns the population per period and metric."""
    now = now or utcnow()
    result: dict[str, dict[str, int]] = {}
    table = PercentileSnapshot.__table__
    for name in periods.CALENDAR_PERIODS:
        values = period_values(name, now)
        result[name] = {}
        for metric, population in values.items():
            row = {"period": name, "metric": metric, "quantiles": summarize(population),
                   "population": len(population), "mean": sum(population) / len(population) if population else 0.0,
                   "computed_at": now}
            stmt = insert(table).values(**row)
            db.session.execute(stmt.on_conflict_do_update(
                index_elements=["period", "metric"],
                set_={key: stmt.excluded[key] for key in ("quantiles", "population", "mean", "computed_at")}))
            result[name][metric] = len(population)
    db.session.commit()
    return result


def snapshot(period: str) -> dict[str, PercentileSnapshot]:
    """The stored snapshot of one period, by metric (empty before the job first ran)."""
    rows = db.session.scalars(select(PercentileSnapshot).where(PercentileSnapshot.period == period)).all()
    return {row.metric: row for row in rows}


def last_computed() -> datetime | None:
    return db.session.scalar(select(func.min(PercentileSnapshot.computed_at)))


def is_stale(now: datetime | None = None) -> bool:
    computed = last_computed()
    return computed is None or (now or utcnow()) - computed >= timedelta(seconds=REFRESH_EVERY)


def refresh_if_stale() -> None:
    if is_stale():
        refresh_percentiles()


def init_app(app: Flask) -> None:
    """Without Redis there is no worker: requests refresh a stale snapshot now and then, after they end
    (`flask percentiles refresh --if-missing`, which `make run` runs, makes the first one)."""
    if app.config.get("REDIS_URL"):
        return
    from burntop.jobs import after_requests_every

    after_requests_every(app, EMBEDDED_CHECK_EVERY, refresh_if_stale, "refreshing the percentile snapshots")
