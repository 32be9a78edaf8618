"""Recount a user's daily rollups and weekday/hour table after their time zone changed.

Days are the user's days (DESIGN.md), so a new zone moves records to other days. The recount runs as
a job: it takes the user's row lock (the same one ingest takes), rewrites usage_records.day, rebuilds
daily_rollups and usage_hours from the raw records with ingest's own summing functions, and commits
once; then the streaks and achievements are evaluated again.
"""
from __future__ import annotations

from sqlalchemy import bindparam, delete, select, update

from burntop.accounts.profile import profile_changed
from burntop.database import insert
from burntop.extensions import db
from burntop.models import DailyRollup, UsageHour, UsageRecord
from burntop.sync.ingest import ROLLUP_SUMS, hour_deltas, lock_user, rollup_deltas, zone

CHUNK = 20_000
COLUMNS = ("id", "timestamp", "day", "source", "model", "provider", "input_tokens", "output_tokens",
           "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens", "cost_nanos", "priced",
           "latency_ms", "success")


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


def _merge_hours(total: dict, deltas: list[dict]) -> None:
    for d in deltas:
        seen = total.setdefault((d["weekday"], d["hour"]), {**d, "records": 0, "tokens": 0})
        seen["records"] += d["records"]
        seen["tokens"] += d["tokens"]


def rebucket_user(user_id: int) -> int:
    """Recount the user's days in their current zone; returns how many records moved to another day."""
    table = UsageRecord.__table__
    try:
        tz = zone(lock_user(user_id))
        rollups: dict = {}
        hours: dict = {}
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
        if moved:
            db.session.execute(
                update(table).where(table.c.id == bindparam("record_id")).values(day=bindparam("new_day")),
                moved, execution_options={"synchronize_session": False})
        db.session.execute(delete(DailyRollup).where(DailyRollup.user_id == user_id))
        db.session.execute(delete(UsageHour).where(UsageHour.user_id == user_id))
        if rollups:
            db.session.execute(insert(DailyRollup.__table__), [rollups[key] for key in sorted(rollups)])
            db.session.execute(insert(UsageHour.__table__), [hours[key] for key in sorted(hours)])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    from burntop.gamification.evaluate import evaluate

    evaluate(user_id)
    return len(moved)


@profile_changed.connect
def on_profile_changed(sender, user_id: int, fields: set, **_details) -> None:
    """Queue a recount when the time zone changed (in-process without Redis)."""
    if "timezone" in fields:
        from burntop.jobs import enqueue

        enqueue(rebucket_user, user_id)
