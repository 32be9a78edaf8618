"""Idempotent ingest: raw records and their daily rollups written in one transaction.

Why it never double-counts:
- records are inserted with ON CONFLICT (user_id, request_id) DO NOTHING ... RETURNING, so only the
  rows this transaction really inserted come back, and only those are added to the rollups (daily,
  weekday/hour, and per machine: machine_days and the machines' first and last record);
- on PostgreSQL a concurrent insert of the same key waits for the other transaction and then
  conflicts, so two machines syncing overlapping batches each add only what the other did not;
- rows and rollup keys are written in sorted order, so two such transactions cannot deadlock;
- everything (records, rollups, sessions) commits or rolls back together;
- the user's row is locked first, so batches of one user commit one after another and a time-zone
  recount (burntop.sync.rebucket) never interleaves with them;
- the evaluation that follows (XP, streaks, achievements) is recorded as pending work in the same
  transaction (burntop.pending), so a failure after the commit is retried by a job, never lost.
"""
from __future__ import annotations

from collections.abc import Iterable
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import func, select, update

from burntop.database import checked_add, insert as _insert, least_greatest as _least_greatest
from burntop.extensions import db
from burntop.gamification.evaluate import evaluate_later
from burntop.models import CodingSession, DailyRollup, Machine, MachineDay, UsageHour, UsageRecord, User
from burntop.models.usage import UNKNOWN_MACHINE
from burntop.models.types import utcnow
from burntop.pricing import Usage, cost_nanos, default_table, provider_for
from burntop.stats.figures import forget_figures
from burntop.sync.schema import RecordIn, SessionIn

ROLLUP_SUMS = (
    "records", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
    "reasoning_tokens", "cost_nanos", "unpriced_records", "latency_ms_sum", "latency_count",
    "success_count", "outcome_count",
)


@dataclass(frozen=True)
class IngestResult:
    added: int
    skipped: int
    days: frozenset[date]
    by_source: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (added, skipped)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def record_rows(user_id: int, tz_name: str, records: Iterable[RecordIn]) -> list[dict]:
    """Turn validated records into table rows: local day, provider, server-side cost."""
    tz = zone(tz_name)
    table = default_table()
    now = utcnow()
    rows = []
    for r in records:
        local = r.timestamp.astimezone(tz)
        usage = Usage(r.inputTokens, r.outputTokens, r.cacheCreationTokens, r.cacheReadTokens,
                      r.cacheCreation1hTokens)
        nanos = cost_nanos(r.model, usage, table)
        rows.append({
            "user_id": user_id, "request_id": r.requestId, "timestamp": r.timestamp,
            "day": local.date(), "source": r.source, "model": r.model,
            "weekday": local.weekday(), "hour": local.hour,
            "provider": r.provider or provider_for(r.model, table),
            "input_tokens": r.inputTokens, "output_tokens": r.outputTokens,
            "cache_creation_tokens": r.cacheCreationTokens, "cache_creation_1h_tokens": r.cacheCreation1hTokens,
            "cache_read_tokens": r.cacheReadTokens, "reasoning_tokens": r.reasoningTokens,
            "cost_nanos": nanos or 0, "priced": nanos is not None,
            "machine_id": r.machineId, "session_id": r.sessionId, "project": r.project,
            "latency_ms": r.latencyMs, "success": r.success, "created_at": now,
        })
    return rows


def rollup_deltas(user_id: int, rows: Iterable[dict]) -> list[dict]:
    """Sum inserted rows per (day, source, model): the increments to add to daily_rollups."""
    sums: dict[tuple, dict] = {}
    for row in rows:
        key = (row["day"], row["source"], row["model"])
        d = sums.get(key)
        if d is None:
            d = sums[key] = {"user_id": user_id, "day": key[0], "source": key[1], "model": key[2],
                             "provider": row["provider"], "first_at": row["timestamp"],
                             "last_at": row["timestamp"], **dict.fromkeys(ROLLUP_SUMS, 0)}
        d["records"] += 1
        for column in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                       "reasoning_tokens", "cost_nanos"):
            d[column] += row[column]
        d["unpriced_records"] += not row["priced"]
        if row["latency_ms"] is not None:
            d["latency_ms_sum"] += row["latency_ms"]
            d["latency_count"] += 1
        if row["success"] is not None:
            d["outcome_count"] += 1
            d["success_count"] += row["success"]
        d["first_at"] = min(d["first_at"], row["timestamp"])
        d["last_at"] = max(d["last_at"], row["timestamp"])
    return [sums[key] for key in sorted(sums)]


# PostgreSQL gets the whole batch as one JSON parameter expanded by json_to_recordset: one statement
# and one bound value instead of 10,000 rows of parameters (measured on 10,000 records: executemany
# 3.5 s, unnest of per-column arrays 0.7 s, this well under 0.3 s).
PG_COLUMNS = {
    "user_id": "bigint", "request_id": "text", "timestamp": "timestamptz", "day": "date", "source": "text",
    "model": "text", "provider": "text", "input_tokens": "bigint", "output_tokens": "bigint",
    "cache_creation_tokens": "bigint", "cache_creation_1h_tokens": "bigint", "cache_read_tokens": "bigint",
    "reasoning_tokens": "bigint", "cost_nanos": "bigint", "priced": "boolean", "machine_id": "text",
    "session_id": "text", "project": "text", "latency_ms": "integer", "success": "boolean",
    "created_at": "timestamptz",
}
PG_INSERT_RECORDS = (
    f"INSERT INTO usage_records ({', '.join(PG_COLUMNS)}) "
    f"SELECT {', '.join(PG_COLUMNS)} FROM json_to_recordset(%s::json) "
    f"AS batch({', '.join(f'{name} {kind}' for name, kind in PG_COLUMNS.items())}) "
    "ON CONFLICT (user_id, request_id) DO NOTHING RETURNING request_id"
)


def hour_deltas(user_id: int, rows: Iterable[dict]) -> list[dict]:
    """Sum inserted rows per local (weekday, hour)."""
    sums: dict[tuple[int, int], list[int]] = {}
    for row in rows:
        s = sums.setdefault((row["weekday"], row["hour"]), [0, 0])
        s[0] += 1
        s[1] += row["input_tokens"] + row["output_tokens"] + row["cache_creation_tokens"] + row["cache_read_tokens"]
    return [{"user_id": user_id, "weekday": w, "hour": h, "records": r, "tokens": t}
            for (w, h), (r, t) in sorted(sums.items())]


def _upsert_hours(deltas: list[dict]) -> None:
    table = UsageHour.__table__
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "weekday", "hour"], set_={
        "records": checked_add(table.c.records, stmt.excluded.records),
        "tokens": checked_add(table.c.tokens, stmt.excluded.tokens)})
    db.session.execute(stmt, deltas)


MACHINE_SUMS = ("records", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                "reasoning_tokens", "cost_nanos")


def machine_deltas(user_id: int, rows: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """Sum inserted rows per (machine, local day), and each machine's first and last record time.

    Records sent without a machine id count under UNKNOWN_MACHINE (""). One pass with plain list sums:
    it runs on every record of a sync."""
    sums: dict[tuple[str, date], list] = {}
    for row in rows:
        key = (row["machine_id"] or UNKNOWN_MACHINE, row["day"])
        at = row["timestamp"]
        s = sums.get(key)
        if s is None:
            s = sums[key] = [0, 0, 0, 0, 0, 0, 0, at, at]
        s[0] += 1
        s[1] += row["input_tokens"]
        s[2] += row["output_tokens"]
        s[3] += row["cache_creation_tokens"]
        s[4] += row["cache_read_tokens"]
        s[5] += row["reasoning_tokens"]
        s[6] += row["cost_nanos"]
        if at < s[7]:
            s[7] = at
        elif at > s[8]:
            s[8] = at
    days, seen = [], {}
    for (machine, day), s in sorted(sums.items()):
        days.append({"user_id": user_id, "machine_id": machine, "day": day, **dict(zip(MACHINE_SUMS, s))})
        m = seen.get(machine)
        if m is None:
            seen[machine] = {"user_id": user_id, "machine_id": machine, "first_seen": s[7], "last_seen": s[8]}
        else:
            m["first_seen"], m["last_seen"] = min(m["first_seen"], s[7]), max(m["last_seen"], s[8])
    return days, [seen[key] for key in sorted(seen)]


def _upsert_machines(machines: list[dict], days: list[dict]) -> None:
    table = Machine.__table__
    least, greatest = _least_greatest()
    stmt = _insert(table)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["user_id", "machine_id"], set_={
        "first_seen": least(table.c.first_seen, stmt.excluded.first_seen),
        "last_seen": greatest(table.c.last_seen, stmt.excluded.last_seen)}), machines)
    table = MachineDay.__table__
    stmt = _insert(table)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "machine_id", "day"],
        set_={c: checked_add(table.c[c], stmt.excluded[c]) for c in MACHINE_SUMS}), days)


def _isoformat(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _insert_records(rows: list[dict]) -> set[str]:
    if db.session.get_bind().dialect.name == "postgresql":
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            # orjson writes datetimes and dates as ISO-8601 itself, ten times faster than json + default;
            # `default` only meets datetime subclasses (freezegun's in tests).
            cursor.execute(PG_INSERT_RECORDS, (orjson.dumps(rows, default=_isoformat).decode(),))
            return {request_id for (request_id,) in cursor.fetchall()}
    table = UsageRecord.__table__
    stmt = (_insert(table).on_conflict_do_nothing(index_elements=["user_id", "request_id"])
            .returning(table.c.request_id))
    columns = [c.name for c in table.columns if c.name != "id"]
    return set(db.session.execute(stmt, [{c: row[c] for c in columns} for row in rows]).scalars())


def _upsert_rollups(deltas: list[dict]) -> None:
    table = DailyRollup.__table__
    least, greatest = _least_greatest()
    stmt = _insert(table)
    updates = {c: checked_add(table.c[c], stmt.excluded[c]) for c in ROLLUP_SUMS}
    updates["first_at"] = least(table.c.first_at, stmt.excluded.first_at)
    updates["last_at"] = greatest(table.c.last_at, stmt.excluded.last_at)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "day", "source", "model"], set_=updates)
    db.session.execute(stmt, deltas)


def _upsert_sessions(user_id: int, tz_name: str, sessions: list[SessionIn]) -> None:
    """Sessions grow while they run: keep the furthest end and the largest counters, so replays are no-ops."""
    tz = zone(tz_name)
    latest: dict[str, dict] = {}
    for s in sessions:
        row = {
            "user_id": user_id, "session_id": s.sessionId, "source": s.source, "started_at": s.startedAt,
            "ended_at": s.endedAt, "day": s.startedAt.astimezone(tz).date(), "active_seconds": s.activeSeconds,
            "commits": s.commits, "lines_of_code": s.linesOfCode, "updated_at": utcnow(),
        }
        seen = latest.get(s.sessionId)
        if seen is not None:  # the same rule as the upsert below, so batching never changes the result
            if seen["started_at"] < row["started_at"]:
                row["started_at"], row["day"] = seen["started_at"], seen["day"]
            ends = [e for e in (seen["ended_at"], row["ended_at"]) if e is not None]
            row["ended_at"] = max(ends) if ends else None
            for counter in ("active_seconds", "commits", "lines_of_code"):
                row[counter] = max(seen[counter], row[counter])
        latest[s.sessionId] = row
    if not latest:
        return
    table = CodingSession.__table__
    least, greatest = _least_greatest()
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id", "session_id"], set_={
        "started_at": least(table.c.started_at, stmt.excluded.started_at),
        "ended_at": func.coalesce(greatest(table.c.ended_at, stmt.excluded.ended_at),
                                  table.c.ended_at, stmt.excluded.ended_at),
        "active_seconds": greatest(table.c.active_seconds, stmt.excluded.active_seconds),
        "commits": greatest(table.c.commits, stmt.excluded.commits),
        "lines_of_code": greatest(table.c.lines_of_code, stmt.excluded.lines_of_code),
        "updated_at": stmt.excluded.updated_at,
    })
    db.session.execute(stmt, [latest[key] for key in sorted(latest)])


def _already_stored(user_id: int, request_ids: list[str]) -> set[str]:
    """Ids of the batch that are stored already: a replay then costs one index scan, not an insert.

    Only a shortcut: the insert's ON CONFLICT still decides for records that race with another sync.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # One array parameter: 10,000 bound placeholders cost more than the lookup itself.
        driver = db.session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute("SELECT request_id FROM usage_records WHERE user_id = %s AND request_id = ANY(%s)",
                           (user_id, request_ids))
            return {request_id for (request_id,) in cursor.fetchall()}
    table = UsageRecord.__table__
    found: set[str] = set()
    for start in range(0, len(request_ids), 5000):
        chunk = request_ids[start:start + 5000]
        found.update(db.session.execute(
            select(table.c.request_id).where(table.c.user_id == user_id, table.c.request_id.in_(chunk))).scalars())
    return found


def lock_user(user_id: int) -> str:
    """Take the user's row lock for this transaction and return their time zone, read under it.

    Ingest and re-bucketing (burntop.sync.rebucket) both start with it, so a batch is always counted
    in the zone that is current when it commits, and never lands in the middle of a recount.
    """
    return db.session.execute(
        update(User).where(User.id == user_id).values(timezone=User.timezone).returning(User.timezone)
    ).scalar_one()


def ingest(user_id: int, records: list[RecordIn], sessions: list[SessionIn] = ()) -> IngestResult:
    """Store a validated batch for a user atomically; records already stored are skipped."""
    unique: dict[str, RecordIn] = {}
    for record in records:
        unique.setdefault(record.requestId, record)  # a repeated id within one batch counts once
    try:
        tz_name = lock_user(user_id)
        stored = _already_stored(user_id, list(unique)) if unique else set()
        rows = record_rows(user_id, tz_name, (unique[key] for key in sorted(unique) if key not in stored))
        inserted = _insert_records(rows) if rows else set()
        new_rows = [row for row in rows if row["request_id"] in inserted]
        deltas = rollup_deltas(user_id, new_rows)
        if deltas:
            _upsert_rollups(deltas)
            _upsert_hours(hour_deltas(user_id, new_rows))
            machine_days, machines = machine_deltas(user_id, new_rows)
            _upsert_machines(machines, machine_days)
        _upsert_sessions(user_id, tz_name, list(sessions))
        evaluate_later(user_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if new_rows or sessions:
        forget_figures(user_id)  # the user's numbers show this batch at once
    sent, added = Counter(r.source for r in records), Counter(row["source"] for row in new_rows)
    return IngestResult(added=len(new_rows), skipped=len(records) - len(new_rows),
                        days=frozenset(d["day"] for d in deltas),
                        by_source={source: (added[source], n - added[source]) for source, n in sorted(sent.items())})
