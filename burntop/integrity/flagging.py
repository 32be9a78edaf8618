"""The check ingest runs on the rows it just inserted, inside its transaction: set-based, a few statements.

- every new record is checked in Python against burntop.integrity.bounds (no query);
- the days of the batch are checked against the machine-day rate: one query sums the user's rollups
  for those days, and only a day whose whole total (every machine) is above the rate, which no honest
  user reaches, costs a second query over that day's raw records per machine and source;
- failures are written as review_flags rows (the records stay stored, unchanged), and their days are
  upserted into review_days as `pending`; a day an admin cleared is pending again on new evidence, a
  confirmed day stays confirmed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, time

from sqlalchemy import case, delete, func, select, update

from burntop.database import insert
from burntop.extensions import db
from burntop.integrity.bounds import RATE_TOKENS_PER_MACHINE_DAY, day_finding, record_findings
from burntop.models import DailyRollup, ReviewDay, ReviewFlag, UsageRecord
from burntop.models.types import utcnow
from burntop.pricing import Usage, default_table, provider_for
from burntop.pricing.rules import price_nanos

PENDING, CLEARED, CONFIRMED = "pending", "cleared", "confirmed"


def _record_flags(user_id: int, rows: list[dict], now: datetime) -> list[dict]:
    table = default_table()
    vendors: dict[str, str] = {}
    flags = []
    for row in rows:
        model = row["model"]
        vendor = vendors.get(model)
        if vendor is None:
            vendor = vendors[model] = provider_for(model, table)  # from the model name, never the client
        over_cost = not row["priced"] and table.lookup(model) is not None  # priced None above the ceiling
        usage = (row["input_tokens"], row["output_tokens"], row["cache_creation_tokens"], row["cache_read_tokens"])
        findings = record_findings(vendor, *usage, over_cost)
        if not findings:
            continue
        for finding in findings:
            observed = finding.observed
            if finding.rule == "cost_ceiling":
                observed = price_nanos(Usage(row["input_tokens"], row["output_tokens"], row["cache_creation_tokens"],
                                             row["cache_read_tokens"], row["cache_creation_1h_tokens"]),
                                       table.lookup(model))
            flags.append({"user_id": user_id, "day": row["day"], "rule": finding.rule, "observed": observed,
                          "bound": finding.bound, "machine_id": row["machine_id"], "source": row["source"],
                          "model": model, "request_id": row["request_id"], "created_at": now})
    return flags


def _day_flags(user_id: int, days: list[date] | None, now: datetime) -> tuple[list[dict], list[tuple]]:
    """Flags for the machine-days above the rate among `days` (None: every day of the user), and their keys."""
    r = DailyRollup
    tokens = r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens
    which = [r.user_id == user_id] + ([] if days is None else [r.day.in_(days)])
    heavy = [day for day, total in db.session.execute(select(r.day, func.sum(tokens)).where(*which).group_by(r.day))
             if int(total or 0) > RATE_TOKENS_PER_MACHINE_DAY]
    if not heavy:
        return [], []
    u = UsageRecord
    # A local day lies within a day either side of its UTC date: the bounds let the (user_id, timestamp) index work.
    after = datetime.combine(min(heavy) - timedelta(days=1), time(), timezone.utc)
    before = datetime.combine(max(heavy) + timedelta(days=2), time(), timezone.utc)
    sums: dict[tuple, dict[str, int]] = {}
    for day, machine, source, total in db.session.execute(
            select(u.day, u.machine_id, u.source,
                   func.sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens))
            .where(u.user_id == user_id, u.timestamp >= after, u.timestamp < before, u.day.in_(heavy))
            .group_by(u.day, u.machine_id, u.source)):
        sums.setdefault((day, machine), {})[source] = int(total or 0)
    flags, keys = [], []
    for (day, machine), by_source in sorted(sums.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        finding = day_finding(sum(by_source.values()))
        if finding is None:
            continue
        keys.append((day, machine))
        top_source = max(sorted(by_source), key=by_source.get)
        flags.append({"user_id": user_id, "day": day, "rule": finding.rule, "observed": finding.observed,
                      "bound": finding.bound, "machine_id": machine, "source": top_source, "model": None,
                      "request_id": None, "created_at": now})
    return flags, keys


def check_batch(user_id: int, rows: list[dict]) -> set[date]:
    """Check the rows ingest just inserted; store the flags and mark their days for review. Returns flagged days."""
    if not rows:
        return set()
    now = utcnow()
    flags = _record_flags(user_id, rows, now)
    day_flags, keys = _day_flags(user_id, sorted({row["day"] for row in rows}), now)
    if keys:  # a machine-day's flag holds its latest total: replace the earlier one
        f = ReviewFlag
        for day, machine in keys:
            db.session.execute(delete(f).where(f.user_id == user_id, f.day == day, f.rule == "machine_day_rate",
                                               f.machine_id.is_(None) if machine is None else f.machine_id == machine))
    flags += day_flags
    if not flags:
        return set()
    db.session.execute(insert(ReviewFlag.__table__), flags)
    days = sorted({flag["day"] for flag in flags})
    mark_for_review(user_id, days, now)
    return set(days)


def mark_for_review(user_id: int, days: list[date], now: datetime) -> None:
    """Upsert the days as pending; a cleared day reopens on new evidence, a confirmed one stays confirmed."""
    table = ReviewDay.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "day"], set_={
        "status": case((table.c.status == CLEARED, PENDING), else_=table.c.status),
        "flagged_at": stmt.excluded.flagged_at})
    db.session.execute(stmt, [{"user_id": user_id, "day": day, "status": PENDING, "flagged_at": now} for day in days])


def recheck_user(user_id: int) -> None:
    """After a new time zone moved the user's records to other local days (burntop.sync.rebucket, in its
    transaction): record flags follow their records, machine-day flags are recomputed on the new days, and
    every flagged day is pending again, except a day an admin confirmed, which stays confirmed. A cleared
    day is never carried over: other records may have moved onto it."""
    f, u, rv = ReviewFlag.__table__, UsageRecord.__table__, ReviewDay.__table__
    db.session.execute(update(f).where(f.c.user_id == user_id, f.c.request_id.is_not(None)).values(
        day=select(u.c.day).where(u.c.user_id == f.c.user_id, u.c.request_id == f.c.request_id).scalar_subquery()))
    db.session.execute(delete(f).where(f.c.user_id == user_id, f.c.rule == "machine_day_rate"))
    now = utcnow()
    day_flags, _ = _day_flags(user_id, None, now)
    if day_flags:
        db.session.execute(insert(f), day_flags)
    confirmed = set(db.session.scalars(select(rv.c.day).where(rv.c.user_id == user_id, rv.c.status == CONFIRMED)))
    db.session.execute(delete(rv).where(rv.c.user_id == user_id))
    days = sorted(set(db.session.scalars(select(f.c.day).where(f.c.user_id == user_id).distinct())))
    if days:
        db.session.execute(insert(rv), [{"user_id": user_id, "day": day, "flagged_at": now,
                                         "status": CONFIRMED if day in confirmed else PENDING} for day in days])
