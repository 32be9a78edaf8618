"""Pages and JSON benchmark: p50/p95 of what a person opens every day, through gunicorn on PostgreSQL +
Redis, at 1,000 and at 10,000 users, beside one user with two years of daily use.

    .venv/bin/python bench/pages.py [--users 1000 10000] [--requests 50] [--clients 8]

Prints figures; it is not a test. One fresh database (burntop_bench_pages), filled with bulk SQL: every
user has 30 days of rollups (daily_rollups, usage_hours, coding_sessions, and machines/machine_days where
those tables exist); the heavy user ("heavy") has 730 days of them (4 source/model rows a day, 3 coding
sessions a day, 3 machines). The first size is measured, then users are added up to the next size and
everything is measured again. Signed-in requests carry a real session cookie (a user_sessions row, as
tests/factories.sign_in makes one); the profile and the public API are asked anonymously.

Load: `gunicorn -w 2 -k gthread --threads 4`, `--clients` keep-alive connections (2 processes of threads
on the same machine) each sending `--requests` requests per endpoint after a warm-up round. An endpoint
the app does not route yet is skipped and says so. Targets (issue 10): JSON p95 <= 50 ms, dashboard
partials <= 100 ms, profile page <= 150 ms, public API <= 50 ms, none growing from 1,000 to 10,000 users.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import inspect, text  # noqa: E402
from werkzeug.exceptions import MethodNotAllowed, NotFound  # noqa: E402
from werkzeug.routing import RequestRedirect  # noqa: E402

from burntop import create_app  # noqa: E402
from burntop.extensions import db  # noqa: E402
from burntop.models import User  # noqa: E402
from landing import free_port, wait_up  # noqa: E402

DB_NAME = "burntop_bench_pages"
SECRET = "bench-pages-secret-key-long-enough"
HEAVY = "heavy"
HEAVY_DAYS = 730
USER_DAYS = 30
PERIOD = "all"  # the heaviest period: the heavy user's two years

# (group, label, path, signed in, extra headers); {u} is the heavy user's name, {p} their public API id
ENDPOINTS = [
    ("json", "users/:u/level", "/api/users/{u}/level", False, {}),
    ("json", "users/:u/stats", "/api/users/{u}/stats", False, {}),
    ("json", "users/:u", "/api/users/{u}", False, {}),
    *[("json", f"dashboard/{name}", f"/api/dashboard/{name}?period={PERIOD}", True, {})
      for name in ("overview", "trends", "models", "tools", "machines")],
    ("json", "insights", f"/api/insights?period={PERIOD}", True, {}),
    *[("partial", f"dashboard/{tab}", f"/dashboard{'' if tab == 'overview' else '/' + tab}?period={PERIOD}", True,
       {"HX-Request": "true"}) for tab in ("overview", "trends", "models", "tools", "machines", "insights")],
    ("page", "profile /:u", "/{u}", False, {}),
    ("public", "v1/public/:id 30d", "/api/v1/public/{p}?period=30d", False, {}),
]
TARGETS = {"json": 50, "partial": 100, "page": 150, "public": 50}


def fresh_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return admin_url.rsplit("/", 1)[0] + "/" + DB_NAME


def _columns(table: str) -> set[str]:
    inspector = inspect(db.engine)
    return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()


def _usage(ids_sql: str, days: int, per_day_sessions: int, machines: int) -> None:
    """Rollups for the users `ids_sql` selects (a query of user ids), `days` days back from today."""
    db.session.execute(text(f"""
        INSERT INTO daily_rollups (user_id, day, source, model, provider, records, input_tokens, output_tokens,
            cache_creation_tokens, cache_read_tokens, reasoning_tokens, cost_nanos, unpriced_records,
            latency_ms_sum, latency_count, success_count, outcome_count, first_at, last_at)
        SELECT u.id, current_date - d, sm.s, sm.m, sm.p, 30 + (u.id + d) % 40, 20000 + (u.id * 7 + d) % 9000,
               8000 + d % 5000, 40000 + d % 20000, 300000 + (u.id + d * 13) % 200000, 0,
               (u.id % 97 + d % 13 + 1) * 10000000, 0, 0, 0, 0, 0,
               (current_date - d) + time '09:00', (current_date - d) + time '18:30'
        FROM ({ids_sql}) AS u(id), generate_series(0, CAST(:days AS int) - 1) AS d,
             (VALUES ('claude-code', 'claude-sonnet-4-5-20250929', 'anthropic'),
                     ('claude-code', 'claude-opus-4-1-20250805', 'anthropic'),
                     ('codex', 'gpt-5', 'openai'),
                     ('gemini-cli', 'gemini-2.5-pro', 'google')) AS sm(s, m, p)
        WHERE (d + length(sm.m)) % 4 <> 0 OR sm.s = 'claude-code'"""), {"days": days})
    db.session.execute(text(f"""
        INSERT INTO usage_hours (user_id, weekday, hour, records, tokens)
        SELECT u.id, w, h, 10 + (u.id + w * 24 + h) % 50 * CAST(:days AS int), (100000 + (u.id * 31 + h) % 90000) * CAST(:days AS int)
        FROM ({ids_sql}) AS u(id), generate_series(0, 6) AS w, generate_series(8, 22) AS h"""), {"days": days})
    db.session.execute(text(f"""
        INSERT INTO coding_sessions (user_id, session_id, source, started_at, ended_at, day, active_seconds,
                                     commits, lines_of_code, updated_at)
        SELECT u.id, md5(u.id || '-' || d || '-' || k), CASE k % 2 WHEN 0 THEN 'claude-code' ELSE 'codex' END,
               (current_date - d) + time '09:00' + k * interval '3 hours',
               (current_date - d) + time '10:30' + k * interval '3 hours', current_date - d,
               3600 + (u.id + d + k) % 1800, (u.id + d + k) % 4, (u.id * 3 + d * 7 + k) % 400, now()
        FROM ({ids_sql}) AS u(id), generate_series(0, CAST(:days AS int) - 1) AS d, generate_series(0, CAST(:per AS int) - 1) AS k"""),
        {"days": days, "per": per_day_sessions})
    if {"user_id", "machine_id", "first_seen", "last_seen"} <= _columns("machines"):
        db.session.execute(text(f"""
            INSERT INTO machines (user_id, machine_id, name, first_seen, last_seen)
            SELECT u.id, md5('machine-' || u.id || '-' || k), NULL, now() - CAST(:days AS int) * interval '1 day', now()
            FROM ({ids_sql}) AS u(id), generate_series(0, CAST(:machines AS int) - 1) AS k"""),
            {"days": days, "machines": machines})
    if {"user_id", "machine_id", "day", "cost_nanos"} <= _columns("machine_days"):
        db.session.execute(text(f"""
            INSERT INTO machine_days (user_id, machine_id, day, records, input_tokens, output_tokens,
                                      cache_creation_tokens, cache_read_tokens, reasoning_tokens, cost_nanos)
            SELECT r.user_id, md5('machine-' || r.user_id || '-' || (extract(doy FROM r.day)::int % CAST(:machines AS int))),
                   r.day, sum(r.records), sum(r.input_tokens), sum(r.output_tokens), sum(r.cache_creation_tokens),
                   sum(r.cache_read_tokens), sum(r.reasoning_tokens), sum(r.cost_nanos)
            FROM daily_rollups r WHERE r.user_id IN ({ids_sql})
            GROUP BY r.user_id, r.day"""), {"machines": machines})


def add_users(first: int, last: int) -> None:
    """Users bench-<first>..bench-<last> (nine in ten public, one in five with the public API on) and
    their 30 days of rollups."""
    public_api = "public_api_id" in _columns("users")
    db.session.execute(text(f"""
        INSERT INTO users (username, email_verified, is_public, timezone, referral_code, is_admin, is_demo,
                           xp_centi, level, current_streak, longest_streak, login_streak, public_api_enabled,
                           {'public_api_id, ' if public_api else ''}created_at)
        SELECT 'bench-' || g, false, g % 10 <> 0,
               (ARRAY['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Tokyo'])[g % 4 + 1],
               'BENCH' || g, false, false, g * 100 % 5000000, 1 + g % 40, g % 30, g % 90, 0, g % 5 = 0,
               {"md5('public-' || g)::uuid::text, " if public_api else ''}now() - interval '120 days'
        FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS g"""), {"first": first, "last": last})
    ids = f"SELECT id FROM users WHERE username ~ '^bench-[0-9]+$' AND substr(username, 7)::int BETWEEN {first} AND {last}"
    _usage(ids, USER_DAYS, 1, 1)
    db.session.commit()


def add_heavy() -> None:
    """The user with two years of daily use: public, public API on, a long streak, three machines."""
    db.session.execute(text("""
        INSERT INTO users (username, name, email_verified, is_public, timezone, referral_code, is_admin, is_demo,
                           xp_centi, level, current_streak, longest_streak, last_active_day, login_streak,
                           public_api_enabled, public_api_id, created_at)
        VALUES (:u, 'Heavy User', true, true, 'Europe/Berlin', 'HEAVYBENCH', false, false, 123456700, 42,
                CAST(:days AS int), CAST(:days AS int), current_date, 3, true, :pid, now() - CAST(:days AS int) * interval '1 day')"""),
        {"u": HEAVY, "days": HEAVY_DAYS, "pid": str(uuid.uuid4())})
    _usage(f"SELECT id FROM users WHERE username = '{HEAVY}'", HEAVY_DAYS, 3, 3)
    db.session.commit()


def refresh_snapshots() -> str:
    """What the periodic jobs would have stored (global totals, insight percentiles), where they exist."""
    done = []
    from burntop import jobs

    for name in ("refresh_global_totals", "refresh_percentiles"):
        job = getattr(jobs, name, None)
        if job is not None:
            job()
            done.append(name)
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return ", ".join(done) or "none"


def session_cookie(app) -> tuple[str, str]:
    """A real signed-in browser for the heavy user (a user_sessions row), as `Cookie` header value."""
    from burntop.accounts.sessions import SESSION_KEY, open_session

    client = app.test_client()
    with app.app_context():
        user = db.session.query(User).filter_by(username=HEAVY).one()
        _, token = open_session(user, "bench")
        db.session.commit()
        public_id = getattr(user, "public_api_id", None) or "none"
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[SESSION_KEY] = token
            session.permanent = True
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    return f"{name}={client.get_cookie(name).value}", public_id


def routed(app, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("?")[0], "GET")
    except RequestRedirect:
        return True  # measured as it is: the redirect shows among the answers other than 200
    except (NotFound, MethodNotAllowed):
        return False
    # /<username> catches any one-segment path: only the profile itself counts as the profile
    return endpoint != "stats.profile" or path.count("/") == 1


def _client_process(port: int, path: str, headers: dict, threads: int, requests: int, out) -> None:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, seen = [], {}
        for _ in range(requests):
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            seen[status] = seen.get(status, 0) + 1
            if status == 200:
                mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in seen.items():
                statuses[k] = statuses.get(k, 0) + v

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((latencies, statuses))


def measure(port: int, path: str, headers: dict, clients: int, requests: int) -> dict:
    """`clients` keep-alive connections in 2 processes, `requests` each: p50/p95 ms of the 200 answers."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per = max(clients // 2, 1)
    procs = [context.Process(target=_client_process, args=(port, path, headers, per, requests, queue))
             for _ in range(2)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    statuses: dict[int, int] = {}
    for _, seen in results:
        for k, v in seen.items():
            statuses[k] = statuses.get(k, 0) + v
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "ok": len(latencies), "rps": len(latencies) / elapsed,
            "other": {k: v for k, v in statuses.items() if k != 200}}


def gunicorn(port: int, env: dict):
    import subprocess

    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4",
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "wsgi:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_size(url: str, redis_url: str, prefix: str, app, clients: int, requests: int) -> dict:
    cookie, public_id = session_cookie(app)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "BURNTOP_REDIS_PREFIX": prefix,
           "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           # one id asked hundreds of times a second: the latency is measured, not the per-id limit
           "BURNTOP_PUBLIC_API_RATE_LIMIT": "1000000 per minute"}
    server = gunicorn(port, env)
    figures = {}
    try:
        wait_up(port)
        for group, label, template, signed_in, extra in ENDPOINTS:
            path = template.format(u=HEAVY, p=public_id)
            if not routed(app, path):
                figures[(group, label)] = None
                continue
            headers = {**extra, **({"Cookie": cookie} if signed_in else {})}
            measure(port, path, headers, clients, 3)  # warm up every worker thread and cache
            figures[(group, label)] = measure(port, path, headers, clients, requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=50, help="requests per client per endpoint")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    prefix = f"bench-pages-{uuid.uuid4().hex[:8]}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "REDIS_URL": args.redis_url, "REDIS_KEY_PREFIX": prefix, "SECRET_KEY": SECRET,
                      "LOG_LEVEL": "WARNING"})
    results, built = [], 0
    for users in sorted(args.users):
        with app.app_context():
            from flask_migrate import upgrade

            if not built:
                upgrade()
                add_heavy()
            started = time.perf_counter()
            add_users(built + 1, users)
            jobs = refresh_snapshots()
            setup = time.perf_counter() - started
            rollups = db.session.execute(text("SELECT count(*) FROM daily_rollups")).scalar()
            db.session.remove()
            db.engine.dispose()
        built = users
        print(f"{users:,} users (+ {HEAVY!r}, {HEAVY_DAYS} days): {rollups:,} daily rollups, built in {setup:.0f} s; "
              f"snapshots: {jobs}", flush=True)
        results.append((users, run_size(url, args.redis_url, prefix, app, args.clients, args.requests)))
    if not args.keep:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    report(results, args)


def report(results: list, args) -> None:
    sizes = [users for users, _ in results]
    print(f"\ngunicorn -w 2 -k gthread --threads 4; {args.clients} clients x {args.requests} requests per endpoint "
          f"(after 3 each to warm up); period={PERIOD}; milliseconds; the load runs on the same machine\n")
    head = f"{'endpoint':<28} {'target':>6} | " + " | ".join(f"{f'{n:,} users p50':>16} {'p95':>6}" for n in sizes)
    print(head)
    print("-" * len(head))
    first = results[0][1]
    for key in first:
        group, label = key
        name = f"{group} {label}"
        if first[key] is None:
            print(f"{name:<28} {'':>6} | not routed yet: skipped")
            continue
        cells = []
        for _, figures in results:
            f = figures[key]
            cells.append(f"{f['p50']:>16.1f} {f['p95']:>6.1f}")
        worst = max(figures[key]["p95"] for _, figures in results)
        flag = "" if worst <= TARGETS[group] else "  over target"
        print(f"{name:<28} {TARGETS[group]:>6} | " + " | ".join(cells) + flag)
        for users, figures in results:
            if figures[key]["other"]:
                print(f"{'':<28} {'':>6}   at {users:,} users, answers other than 200: {figures[key]['other']}")


if __name__ == "__main__":
    main()
