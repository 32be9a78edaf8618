"""Landing-page benchmark: req/s and p95 of `/` through gunicorn on PostgreSQL + Redis, at 100 and 1,000
users, without and with a small sync every second; then GET /api/gamification/profile (statements per
request and req/s, after each user's first visit of the day).

    .venv/bin/python bench/landing.py [--users 100 1000] [--seconds 15] [--clients 16]

Prints figures; it is not a test. Each size gets a fresh database (burntop_bench_landing) with 90 days of
daily rollups per user (4 per day: 2 tools x 2 models), the shared Redis under a fresh key prefix, and
`gunicorn -w 4 -k gthread --threads 8`. The load comes from 2 processes of keep-alive HTTP clients on the
same machine, so absolute figures depend on it; compare runs made the same way.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402

from burntop import create_app  # noqa: E402
from burntop.accounts.tokens import create_token  # noqa: E402
from burntop.extensions import db  # noqa: E402
from burntop.models import User  # noqa: E402

DB_NAME = "burntop_bench_landing"
TOKENS = 200  # users with an API token, for the syncs and the profile requests


def fresh_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return admin_url.rsplit("/", 1)[0] + "/" + DB_NAME


def fill(users: int) -> None:
    """Users and their rollups straight in SQL (the setup, not what is measured)."""
    db.session.execute(text("""
        INSERT INTO users (username, email_verified, is_public, timezone, referral_code, is_admin, is_demo,
                           xp_centi, level, current_streak, longest_streak, login_streak, public_api_enabled,
                           created_at)
        SELECT 'bench-' || g, false, g % 10 <> 0, 'UTC', 'BENCH' || g, false, false, g * 100, 1, 0, 0, 0, false,
               now() - interval '120 days'
        FROM generate_series(1, :n) AS g"""), {"n": users})
    db.session.execute(text("""
        INSERT INTO daily_rollups (user_id, day, source, model, provider, records, input_tokens, output_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, cost_nanos, unpriced_records,
            latency_ms_sum, latency_count, success_count, outcome_count, first_at, last_at)
        SELECT u.id, current_date - d, s, m, 'anthropic', 40, 40000 + u.id, 20000, 80000, 400000, 0,
               (u.id % 97 + 1) * 10000000, 0, 0, 0, 0, 0, now() - d * interval '1 day', now() - d * interval '1 day'
        FROM users u, generate_series(0, 89) AS d, unnest(ARRAY['claude-code', 'codex']) AS s,
             unnest(ARRAY['claude-sonnet-4-20250514', 'gpt-5']) AS m"""))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client_process(port: int, path: str, headers: list[dict], threads: int, seconds: float, out) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        n = index
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers[n % len(headers)])
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            n += threads
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((latencies, errors[0]))


def load(port: int, path: str, seconds: float, clients: int, headers: list[dict] | None = None) -> dict:
    """`clients` keep-alive connections in 2 processes hammering path; req/s, p50 and p95 in ms."""
    queue = multiprocessing.get_context("fork").Queue()
    per = max(clients // 2, 1)
    procs = [multiprocessing.get_context("fork").Process(
        target=_client_process, args=(port, path, headers or [{}], per, seconds, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {"rps": len(latencies) / seconds, "p50": q[49] * 1000, "p95": q[94] * 1000, "errors": errors}


def syncing(port: int, tokens: list[str], stop: threading.Event, counter: list[int]) -> None:
    """One small sync (20 records) a second, each from another user."""
    rng = random.Random(7)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        started = time.monotonic()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        records = [{"timestamp": now, "model": "claude-sonnet-4-20250514", "source": "claude-code",
                    "inputTokens": rng.randint(1, 5000), "outputTokens": rng.randint(1, 2000),
                    "cacheCreationTokens": 0, "cacheReadTokens": rng.randint(0, 50000),
                    "requestId": uuid.uuid4().hex} for _ in range(20)]
        token = tokens[counter[0] % len(tokens)]
        conn.request("POST", "/api/sync", body=json.dumps({"records": records}),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            counter[0] += 1
        stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))
    conn.close()


def gunicorn(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-k", "gthread", "--threads", "8",
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "wsgi:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def statements_per_request(app, token: str, path: str) -> int:
    """SQL statements one request runs (the second of the day: the first one may write more)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get(path, headers=headers)
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path, headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    rows = []
    for users in args.users:
        url = fresh_database(args.database_url)
        sa_url = url.replace("postgresql://", "postgresql+psycopg://")
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url, "REDIS_URL": args.redis_url,
                          "REDIS_KEY_PREFIX": prefix, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            fill(users)
            tokens = [create_token(user, "bench")[1] for user in
                      db.session.query(User).order_by(User.id).limit(TOKENS)]
            db.session.commit()
            started = time.perf_counter()
            from burntop.stats.totals import compute_global_totals

            compute_global_totals()
            uncached = (time.perf_counter() - started) * 1000
            statements = statements_per_request(app, tokens[0], "/api/gamification/profile")
            db.session.remove()
            db.engine.dispose()
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "BURNTOP_REDIS_PREFIX": prefix,
               "SECRET_KEY": "bench-secret-key-long-enough", "BURNTOP_SYNC_RATE_LIMIT": "1000 per minute",
               "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
        server = gunicorn(port, env)
        try:
            wait_up(port)
            load(port, "/", 3, args.clients)  # warm up every worker
            quiet = load(port, "/", args.seconds, args.clients)
            stop, synced = threading.Event(), [0]
            thread = threading.Thread(target=syncing, args=(port, tokens, stop, synced))
            thread.start()
            busy = load(port, "/", args.seconds, args.clients)
            stop.set()
            thread.join()
            profile_headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
            load(port, "/api/gamification/profile", 3, args.clients, profile_headers)  # each user's first visit
            profile = load(port, "/api/gamification/profile", args.seconds, args.clients, profile_headers)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        rows.append((users, uncached, quiet, busy, synced[0], profile, statements))
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    print(f"\n{args.clients} clients, {args.seconds:.0f} s per figure, gunicorn -w 4 -k gthread --threads 8\n")
    print(f"{'users':>6} | {'global totals computed':>22} | {'/ req/s':>8} {'p95 ms':>7} | "
          f"{'/ with 1 sync/s':>15} {'p95 ms':>7} {'syncs':>5} | {'profile req/s':>13} {'statements':>10}")
    for users, uncached, quiet, busy, synced, profile, statements in rows:
        print(f"{users:>6} | {uncached:>19.1f} ms | {quiet['rps']:>8.0f} {quiet['p95']:>7.1f} | "
              f"{busy['rps']:>15.0f} {busy['p95']:>7.1f} {synced:>5} | {profile['rps']:>13.0f} {statements:>10}")
        errors = quiet["errors"] + busy["errors"] + profile["errors"]
        if errors:
            print(f"{'':>6}   ({errors} failed requests)")


if __name__ == "__main__":
    main()
