"""A user's usage over a period, read from the daily rollups only (never raw usage_records).

Rollups are bucketed by the user's local day, so a Period (burntop.stats.periods) is a range of rollup
days. Total tokens = input + output + cache creation + cache read (as burntop.stats.totals counts them);
reasoning tokens are reported apart and are not added again. Cost is an API-equivalent estimate in
nanodollars (`cost_nanos`); `dollars` turns it into the JSON figure.
Cache efficiency = cache read / (input + cache creation + cache read), 0..1 (DESIGN.md).
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from burntop.database import safe_sum
from burntop.extensions import db
from burntop.models import DailyRollup, UsageHour, User
from burntop.stats.periods import Period, day_range

R = DailyRollup
TOKENS = R.input_tokens + R.output_tokens + R.cache_creation_tokens + R.cache_read_tokens
KINDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens")
BREAKDOWNS = {"model": R.model, "source": R.source}


def dollars(nanos: int) -> float:
    """Nanodollars as dollars for JSON, to a hundredth of a cent (small days stay visible)."""
    return round(int(nanos) / 1e9, 4)


def iso_utc(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def cache_efficiency(input_tokens: int, cache_creation_tokens: int, cache_read_tokens: int) -> float:
    prompt = input_tokens + cache_creation_tokens + cache_read_tokens
    return cache_read_tokens / prompt if prompt else 0.0


def share(part: int, whole: int) -> float:
    """part as a percentage of whole, to one decimal (spec 000's 66.7)."""
    return round(100 * part / whole, 1) if whole else 0.0


def in_days(user_id: int, start: date | None, end: date | None) -> list:
    """WHERE conditions for one user's rollups from start to end, both inclusive (None: unbounded)."""
    conditions = [R.user_id == user_id]
    if start is not None:
        conditions.append(R.day >= start)
    if end is not None:
        conditions.append(R.day <= end)
    return conditions


def last_day(period: Period) -> date | None:
    """The period's last day for a query: a calendar week or month runs to its end, so a record a fast
    clock put on a later day of it still counts; "all" has no end."""
    if period.name == "all":
        return None
    if period.name == "week":
        return period.start + timedelta(days=6)
    if period.name == "month":
        return period.start.replace(day=calendar.monthrange(period.start.year, period.start.month)[1])
    return period.end


def in_period(user: User, period: Period | None) -> list:
    """WHERE conditions for the user's rollups in the period (None: every day)."""
    return in_days(user.id, period.start, last_day(period)) if period is not None else [R.user_id == user.id]


def _total(expression):
    return func.coalesce(safe_sum(expression), 0)


def summary(user: User, period: Period | None) -> dict:
    """Totals over the period (None: every day): tokens (total and by kind), cost_nanos, records,
    unpriced_records, cache_efficiency (0..1), active_days (local days with at least one record)."""
    row = db.session.execute(select(
        *(_total(R.__table__.c[kind]) for kind in KINDS), _total(R.cost_nanos), _total(R.records),
        _total(R.unpriced_records), func.count(func.distinct(R.day)),
    ).where(*in_period(user, period))).one()
    values = dict(zip(KINDS, map(int, row[:len(KINDS)])))
    cost, records, unpriced, days = map(int, row[len(KINDS):])
    values.update(
        tokens=values["input_tokens"] + values["output_tokens"] + values["cache_creation_tokens"]
        + values["cache_read_tokens"],
        cost_nanos=cost, records=records, unpriced_records=unpriced, active_days=days,
        cache_efficiency=cache_efficiency(values["input_tokens"], values["cache_creation_tokens"],
                                          values["cache_read_tokens"]))
    return values


def daily_totals(user: User, start: date, end: date) -> list[tuple[date, int, int]]:
    """(day, tokens, cost_nanos) for every day from start to end inclusive, zero-filled, ascending."""
    found = {day: (int(tokens), int(cost)) for day, tokens, cost in db.session.execute(
        select(R.day, _total(TOKENS), _total(R.cost_nanos)).where(*in_days(user.id, start, end)).group_by(R.day))}
    return [(day, *found.get(day, (0, 0))) for day in day_range(start, end)]


def daily_tokens(user: User, start: date, end: date) -> list[tuple[date, int]]:
    """Tokens per local day from start to end inclusive, zero-filled, ascending (heatmap and charts)."""
    return [(day, tokens) for day, tokens, _ in daily_totals(user, start, end)]


def first_day(user: User) -> date | None:
    """The user's first local day with usage, or None."""
    return db.session.scalar(select(func.min(R.day)).where(R.user_id == user.id))


def breakdown(user: User, period: Period | None, by: str = "model", first_use: bool = True) -> list[dict]:
    """Usage per model or per source over the period, most tokens first: {<by>: name, tokens, cost_nanos,
    records, percentage (share of the period's tokens, one decimal), and unless first_use=False
    first_used (ISO-8601 UTC of the first record ever with that model or source, whatever the period)
    and first_day (its local day, ISO)}."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of: {', '.join(BREAKDOWNS)}")
    column = BREAKDOWNS[by]
    every_day = period is None or (period.start is None and last_day(period) is None)
    firsts_here = first_use and every_day  # the period's own rows hold every first use
    rows = db.session.execute(
        select(column, _total(TOKENS), _total(R.cost_nanos), _total(R.records),
               *((func.min(R.first_at), func.min(R.day)) if firsts_here else ()))
        .where(*in_period(user, period)).group_by(column)).all()
    if firsts_here:
        firsts = {row[0]: (row[4], row[5]) for row in rows}
    elif first_use and rows:
        firsts = {name: (at, day) for name, at, day in db.session.execute(
            select(column, func.min(R.first_at), func.min(R.day)).where(
                R.user_id == user.id, column.in_([row[0] for row in rows])).group_by(column))}
    whole = sum(int(row[1]) for row in rows)
    items = []
    for name, tokens, cost, records, *_ in rows:
        item = {by: name, "tokens": int(tokens), "cost_nanos": int(cost), "records": int(records),
                "percentage": share(int(tokens), whole)}
        if first_use:
            item.update(first_used=iso_utc(firsts[name][0]), first_day=firsts[name][1].isoformat())
        items.append(item)
    return sorted(items, key=lambda item: (-item["tokens"], item[by]))


def over_time(user: User, period: Period | None, by: str = "model") -> list[dict]:
    """Tokens per local day and model (or source) over the period: only the days and names with usage,
    by date ascending, then most tokens first: {date, <by>, tokens}."""
    column = BREAKDOWNS[by]
    tokens = _total(TOKENS)
    rows = db.session.execute(select(R.day, column, tokens).where(*in_period(user, period))
                              .group_by(R.day, column).order_by(R.day, tokens.desc(), column))
    return [{"date": day.isoformat(), by: name, "tokens": int(total)} for day, name, total in rows]


def weekday_tokens(user: User, period: Period | None) -> list[int]:
    """Tokens per local weekday (Monday first) over the period."""
    totals = [0] * 7
    for day, tokens in db.session.execute(
            select(R.day, _total(TOKENS)).where(*in_period(user, period)).group_by(R.day)):
        totals[day.weekday()] += int(tokens)
    return totals


def hour_tokens(user: User) -> list[int]:
    """Tokens per local hour of the day (0-23), all time: usage_hours keeps no dates, only the user's
    weekday and hour in their current zone (re-counted when the zone changes)."""
    totals = [0] * 24
    for hour, tokens in db.session.execute(select(UsageHour.hour, _total(UsageHour.tokens))
                                           .where(UsageHour.user_id == user.id).group_by(UsageHour.hour)):
        totals[hour] += int(tokens)
    return totals
