"""Ingest benchmark: server time of a 10,000-record POST /api/sync and its replay on PostgreSQL,
with an empty history and with millions of stored records for the same user.

    .venv/bin/python bench/ingest.py [--database-url URL] [--history 5000000] [--runs 3]

Prints figures; it is not a test. Targets (issue 2): sync <= 1.0 s, replay <= 0.5 s, flat in history.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from burntop import create_app  # noqa: E402
from burntop.accounts.tokens import create_token  # noqa: E402
from burntop.accounts.users import create_user  # noqa: E402
from burntop.extensions import db  # noqa: E402

MODELS = ["claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "gpt-5", "gemini-2.5-pro"]
SOURCES = ["claude-code", "codex", "gemini-cli", "opencode"]
MACHINES = [f"{n:032x}" for n in (0xA1, 0xB2, 0xC3)]  # three computers, as the client's random ids


def fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def bench_user(server_url: str, name: str):
    """A fresh, migrated database `name` on the server and one user with a token, inside the app's context;
    (test client, user, token) for the block; the database is dropped after it."""
    url = fresh_database(server_url, name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "REDIS_URL": None, "SYNC_RATE_LIMIT": "1000 per minute", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        user = create_user("bench", timezone="America/Los_Angeles")
        _, token = create_token(user, "bench")
        db.session.commit()
        yield app.test_client(), user, token
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def batch(tag: str, size: int, rng: random.Random) -> bytes:
    start = datetime.now(timezone.utc) - timedelta(days=30)
    records = []
    for i in range(size):
        at = start + timedelta(seconds=rng.randint(0, 30 * 86400))
        records.append({
            "timestamp": at.isoformat().replace("+00:00", "Z"), "model": rng.choice(MODELS),
            "source": rng.choice(SOURCES), "requestId": f"{tag}-{i:06d}-{rng.getrandbits(64):016x}",
            "inputTokens": rng.randint(1, 5000), "outputTokens": rng.randint(10, 8000),
            "cacheCreationTokens": rng.randint(0, 20000), "cacheReadTokens": rng.randint(0, 200000),
            "sessionId": f"{tag}-session-{i // 200}", "latencyMs": rng.randint(200, 30000), "success": True,
            "machineId": MACHINES[i % len(MACHINES)],
        })
    return json.dumps({"records": records}).encode()


FULL_GCS: list[float] = []  # seconds of each full (generation 2) collection


def _time_full_gcs(phase: str, info: dict) -> None:
    if info["generation"] == 2:
        if phase == "start":
            FULL_GCS.append(-time.perf_counter())
        elif FULL_GCS and FULL_GCS[-1] < 0:
            FULL_GCS[-1] += time.perf_counter()


def timed_sync(client, token: str, body: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post("/api/sync", data=body, headers={"Authorization": f"Bearer {token}",
                                                            "Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"sync failed: {response.status_code} {response.get_data(as_text=True)[:500]}")
    return elapsed, response.get_json()


def fill_history(user_id: int, rows: int) -> float:
    """Store `rows` older records for the user straight in SQL (the benchmark's setup, not the path measured)."""
    started = time.perf_counter()
    db.session.execute(text("""
        INSERT INTO usage_records (user_id, request_id, timestamp, day, source, model, provider, input_tokens,
            output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, reasoning_tokens,
            cost_nanos, priced, session_id, created_at)
        SELECT :uid, 'history-' || g, ts, ts::date, 'claude-code', 'claude-sonnet-4-20250514', 'anthropic',
               100, 500, 1000, 0, 20000, 0, 17000000, true, 'hist-' || (g / 200), now()
        FROM generate_series(1, :n) AS g,
             LATERAL (SELECT now() - interval '1 second' * (g * 12) - interval '40 days' AS ts) t
    """), {"uid": user_id, "n": rows})
    db.session.execute(text("""
        INSERT INTO daily_rollups (user_id, day, source, model, provider, records, input_tokens, output_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, cost_nanos, unpriced_records,
            latency_ms_sum, latency_count, success_count, outcome_count, first_at, last_at)
        SELECT :uid, day, source, model, 'anthropic', count(*), sum(input_tokens), sum(output_tokens),
               sum(cache_creation_tokens), sum(cache_read_tokens), 0, sum(cost_nanos), 0, 0, 0, 0, 0,
               min(timestamp), max(timestamp)
        FROM usage_records WHERE user_id = :uid AND request_id LIKE 'history-%%' GROUP BY day, source, model
        ON CONFLICT (user_id, day, source, model) DO UPDATE SET
            records = daily_rollups.records + excluded.records,
            input_tokens = daily_rollups.input_tokens + excluded.input_tokens,
            output_tokens = daily_rollups.output_tokens + excluded.output_tokens,
            cache_creation_tokens = daily_rollups.cache_creation_tokens + excluded.cache_creation_tokens,
            cache_read_tokens = daily_rollups.cache_read_tokens + excluded.cache_read_tokens,
            cost_nanos = daily_rollups.cost_nanos + excluded.cost_nanos
    """), {"uid": user_id})
    db.session.commit()
    db.session.execute(text("ANALYZE usage_records"))
    db.session.execute(text("ANALYZE daily_rollups"))
    db.session.commit()
    return time.perf_counter() - started


def measure(client, token: str, label: str, runs: int, rng: random.Random) -> None:
    syncs, replays, gcs = [], [], []
    for run in range(runs):
        body = batch(f"{label}-{run}", 10_000, rng)
        FULL_GCS.clear()
        elapsed, result = timed_sync(client, token, body)
        gcs.append(list(FULL_GCS))
        assert result["recordsAdded"] == 10_000, result
        syncs.append(elapsed)
        elapsed, result = timed_sync(client, token, body)
        assert result["recordsSkipped"] == 10_000, result
        replays.append(elapsed)
    print(f"{label:>22}: sync 10,000 records  median {statistics.median(syncs):.3f} s  "
          f"(runs: {', '.join(f'{s:.3f}' for s in syncs)})")
    print(f"{'':>22}  replay of the batch   median {statistics.median(replays):.3f} s  "
          f"(runs: {', '.join(f'{s:.3f}' for s in replays)})")
    print(f"{'':>22}  full GCs in each sync: "
          + ", ".join(f"{len(run)} ({sum(run) * 1000:.0f} ms)" for run in gcs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server; the benchmark creates and drops a database on it (--database-name)")
    parser.add_argument("--history", type=int, default=5_000_000, help="records stored before the second round")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-name", default="burntop_bench",
                        help="the database created (and dropped) for the run; give another to run two at once")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after start-up, as wsgi.py and the worker do")
    args = parser.parse_args()
    gc.callbacks.append(_time_full_gcs)

    rng = random.Random(42)
    with bench_user(args.database_url, args.database_name) as (client, user, token):
        timed_sync(client, token, batch("warmup", 100, rng))  # imports, price table, connection pool
        if args.gc_freeze:
            from burntop import freeze_after_start_up

            freeze_after_start_up()

        print(f"PostgreSQL {db.session.execute(text('show server_version')).scalar()}, "
              f"server time measured around the request inside the WSGI app"
              f"{', gc.freeze() after start-up' if args.gc_freeze else ''}\n")
        measure(client, token, "empty history", args.runs, rng)
        if args.history:
            took = fill_history(user.id, args.history)
            stored = db.session.execute(text("select count(*) from usage_records")).scalar()
            print(f"\n(history: {stored:,} records stored for the user in {took:.0f} s)\n")
            measure(client, token, f"{stored / 1e6:.1f}M records stored", args.runs, rng)

if __name__ == "__main__":
    main()
