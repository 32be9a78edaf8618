"""Recount a user's daily rollups and weekday/hour table after their time zone changed.

Days are the user's days (DESIGN.md), so a new zone moves records to other days. A zone change records
a pending recount in its own transaction (burntop.pending), so the recount is never lost: not when
Redis is down, not when a worker dies in the middle of it. The recount takes the user's row lock (the
same one ingest and the zone change take), rewrites usage_records.day and coding_sessions.day, rebuilds
daily_rollups, usage_hours and machine_days from the raw records with ingest's own summing functions,
clears the pending row and commits once; then the streaks and achievements are evaluated again. The
machines themselves (first and last record times) do not depend on the zone and stay as they are.
"""
from __future__ import annotations

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import NoResultFound

from burntop import pending
from burntop.accounts.profile import profile_changed, profile_changing
from burntop.database import INT64_MAX, insert
from burntop.extensions import db
from burntop.models import CodingSession, DailyRollup, MachineDay, UsageHour, UsageRecord
from burntop.sync.ingest import (MACHINE_SUMS, ROLLUP_SUMS, hour_deltas, lock_user, machine_deltas, rollup_deltas,
                                 zone)

KIND = "rebucket"

CHUNK = 20_000
COLUMNS = ("id", "timestamp", "day", "source", "model", "provider", "input_tokens", "output_tokens",
           "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens", "cost_nanos", "priced",
           "latency_ms", "success", "machine_id")


def _merge_rollups(total: dict, deltas: list[dict]) -> None:
    for d in deltas:
        key = (d["day"], d["source"], d["model"])
        seen = total.get(key)
        if seen is None:
            total[key] = d
            continue
        for column in ROLLUP_SUMS:
            seen[column] += d[column]
        seen["first_at"] = min(seen["first_at"], d["first_at"])
        seen["last_at"] = max(seen["last_at"], d["last_at"])


def _saturated(row: dict, columns) -> dict:
    """Sums capped at the 64-bit maximum, as ingest's checked additions cap them."""
    return {**row, **{c: min(row[c], INT64_MAX) for c in columns}}


def _merge_hours(total: dict, deltas: list[dict]) -> None:
    for d in deltas:
        seen = total.setdefault((d["weekday"], d["hour"]), {**d, "records": 0, "tokens": 0})
        seen["records"] += d["records"]
        seen["tokens"] += d["tokens"]


def _merge_machine_days(total: dict, deltas: list[dict]) -> None:
    for d in deltas:
        seen = total.setdefault((d["machine_id"], d["day"]), {**d, **dict.fromkeys(MACHINE_SUMS, 0)})
        for column in MACHINE_SUMS:
            seen[column] += d[column]


def _move_sessions(user_id: int, tz) -> None:
    """A coding session belongs to the local day it started on."""
    table = CodingSession.__table__
    moved = [{"session_row": row.id, "new_day": row.started_at.astimezone(tz).date()}
             for row in db.session.execute(select(table.c.id, table.c.started_at, table.c.day)
                                           .where(table.c.user_id == user_id))
             if row.started_at.astimezone(tz).date() != row.day]
    if moved:
        db.session.execute(update(table).where(table.c.id == bindparam("session_row"))
                           .values(day=bindparam("new_day")), moved,
                           execution_options={"synchronize_session": False})


@pending.handler(KIND, key=int)
def rebucket_user(user_id: int) -> int:
    """Recount the user's days in their current zone; returns how many records moved to another day."""
    table = UsageRecord.__table__
    try:
        try:
            tz = zone(lock_user(user_id))
        except NoResultFound:  # the account was deleted since: nothing left to recount
            pending.done(KIND, user_id)
            db.session.commit()
            return 0
        rollups: dict = {}
        hours: dict = {}
        machine_days: dict = {}
        moved: list[dict] = []
        last_id = 0
        while True:
            chunk = db.session.execute(
                select(*(table.c[name] for name in COLUMNS))
                .where(table.c.user_id == user_id, table.c.id > last_id).order_by(table.c.id).limit(CHUNK)
            ).mappings().all()
            if not chunk:
                break
            last_id = chunk[-1]["id"]
            rows = []
            for record in chunk:
                local = record["timestamp"].astimezone(tz)
                row = {**record, "day": local.date(), "weekday": local.weekday(), "hour": local.hour}
                if row["day"] != record["day"]:
                    moved.append({"record_id": record["id"], "new_day": row["day"]})
                rows.append(row)
            _merge_rollups(rollups, rollup_deltas(user_id, rows))
            _merge_hours(hours, hour_deltas(user_id, rows))
            _merge_machine_days(machine_days, machine_deltas(user_id, rows)[0])
        if moved:
            db.session.execute(
                update(table).where(table.c.id == bindparam("record_id")).values(day=bindparam("new_day")),
                moved, execution_options={"synchronize_session": False})
        _move_sessions(user_id, tz)
        db.session.execute(delete(DailyRollup).where(DailyRollup.user_id == user_id))
        db.session.execute(delete(UsageHour).where(UsageHour.user_id == user_id))
        db.session.execute(delete(MachineDay).where(MachineDay.user_id == user_id))
        if rollups:
            db.session.execute(insert(DailyRollup.__table__), [_saturated(rollups[key], ROLLUP_SUMS)
                                                                for key in sorted(rollups)])
            db.session.execute(insert(UsageHour.__table__), [_saturated(hours[key], ("records", "tokens"))
                                                              for key in sorted(hours)])
            db.session.execute(insert(MachineDay.__table__), [_saturated(machine_days[key], MACHINE_SUMS)
                                                               for key in sorted(machine_days)])
        pending.done(KIND, user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    from burntop.gamification.evaluate import evaluate_after_commit
    from burntop.stats.figures import forget_figures

    forget_figures(user_id)  # every figure moved with the days
    evaluate_after_commit(user_id)  # streaks moved with the days
    return len(moved)


@profile_changing.connect
def _record_recount(sender, user_id: int, fields: set, **_details) -> None:
    """A new zone: record the recount in the same transaction as the change."""
    if "timezone" in fields:
        pending.record(KIND, user_id)


@profile_changed.connect
def _start_recount(sender, user_id: int, fields: set, **_details) -> None:
    if "timezone" in fields:
        pending.dispatch(KIND, user_id)
