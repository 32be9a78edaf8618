"""Badge benchmark: responses/s of GET /api/badge/<username> from 2 gunicorn workers on loopback, for
already-cached figures, as full 200 responses and as 304 revalidations (If-None-Match), with the
per-process replay (burntop.badges.edge, the default) and without it (BURNTOP_BADGE_MEMO_SECONDS=0:
every request goes through Flask, the user lookup and the figures cache in Redis).

    .venv/bin/python bench/badges.py [--seconds 10] [--connections 32]

Prints figures; it is not a test. A fresh PostgreSQL database (burntop_bench_badges) holds one public
user with 90 days of usage sent through POST /api/sync; the shared Redis is used under a fresh key
prefix; `gunicorn -w 2 -k gthread --threads 4`; the load comes from `wrk` (apt-get install wrk) on the
same machine, so the figures depend on what else runs there: the last row, a WSGI app that only answers
a fixed 304 under the same gunicorn and wrk, is the floor of that machine at that moment.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from burntop import create_app  # noqa: E402
from burntop.accounts.tokens import create_token  # noqa: E402
from burntop.accounts.users import create_user  # noqa: E402
from burntop.extensions import db  # noqa: E402

DB_NAME = "burntop_bench_badges"
USER = "bench-badges"
CASES = (("standard flat", "/api/badge/bench-badges?variant=standard&style=flat"),
         ("heatmap card", "/api/badge/bench-badges?variant=heatmap&theme=light"))


def fresh_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return admin_url.rsplit("/", 1)[0] + "/" + DB_NAME


def fill(app) -> None:
    """One public user with 90 days of records, through the real sync endpoint."""
    user = create_user(USER)
    _, token = create_token(user, "bench")
    db.session.commit()
    now = datetime.now(timezone.utc)
    records = [{"timestamp": (now - timedelta(days=day, hours=h)).isoformat().replace("+00:00", "Z"),
                "model": "claude-sonnet-4-20250514", "source": "claude-code", "inputTokens": 1000 + day,
                "outputTokens": 500, "cacheCreationTokens": 0, "cacheReadTokens": 20_000,
                "requestId": f"bench-{day}-{h}"} for day in range(90) for h in range(0, 24, 6)]
    response = app.test_client().post("/api/sync", json={"records": records},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()


def floor(environ, start_response):
    """The floor to compare with: a WSGI app that answers every request with a fixed 304, nothing else."""
    start_response("304 Not Modified", [("ETag", '"floor"'), ("Cache-Control", "public, max-age=900")])
    return []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


THREADS = 4


def gunicorn(port: int, env: dict, app: str = "wsgi:app") -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", str(THREADS),
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--pythonpath", str(ROOT / "bench"), app],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def get(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/api/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def wrk(port: int, path: str, seconds: float, connections: int, etag: str | None = None) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--latency"]
    if etag:
        command += ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p99": re.search(r"99%\s+(\S+)", out).group(1),
            "bad": int(bad.group(1)) if bad else 0, "socket errors": errors.group(1) if errors else "none"}


def measure(port: int, seconds: float, connections: int) -> list[tuple]:
    rows = []
    for name, path in CASES:
        first = get(port, path)
        assert first.status == 200, first.status
        etag = first.getheader("ETag")
        assert get(port, path, {"If-None-Match": etag}).status == 304
        wrk(port, path, 2, connections)  # warm both workers
        rows.append((name, "200", wrk(port, path, seconds, connections)))
        rows.append((name, "304", wrk(port, path, seconds, connections, etag)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=THREADS, help="gunicorn threads per worker")
    args = parser.parse_args()
    globals()["THREADS"] = args.threads
    url = fresh_database(args.database_url)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "REDIS_URL": args.redis_url, "REDIS_KEY_PREFIX": prefix, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        fill(app)
        db.session.remove()
        db.engine.dispose()
    results = []
    for memo in ("1", "0"):
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "BURNTOP_REDIS_PREFIX": prefix,
               "SECRET_KEY": "bench-secret-key-long-enough", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
               "BURNTOP_BADGE_MEMO_SECONDS": memo}
        server = gunicorn(port, env)
        try:
            wait_up(port)
            results += [(memo, *row) for row in measure(port, args.seconds, args.connections)]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    port = free_port()
    server = gunicorn(port, {**os.environ, "PYTHONPATH": str(ROOT)}, "badges:floor")
    try:
        time.sleep(3)
        results.append(("-", "floor: fixed 304", "304", wrk(port, "/", args.seconds, args.connections)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    load = os.getloadavg()
    print(f"\ngunicorn -w 2 -k gthread --threads {THREADS}, wrk -t 2 -c {args.connections}, {args.seconds:.0f} s each, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print(f"{'replay':>6} | {'badge':<14} | {'status':>6} | {'responses/s':>11} | {'p99':>8} | bad / socket errors")
    for memo, name, status, figures in results:
        print(f"{ {'1': 'on', '0': 'off'}.get(memo, memo):>6} | {name:<14} | {status:>6} | {figures['rps']:>11,.0f} | "
              f"{figures['p99']:>8} | {figures['bad']} / {figures['socket errors']}")


if __name__ == "__main__":
    main()
