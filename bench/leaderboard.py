"""Leaderboard benchmark on PostgreSQL: a full snapshot refresh, and GET /api/leaderboard p95 for every
type x period, unfiltered and filtered, the viewer's userEntry far down the board, at two sizes.

    .venv/bin/python bench/leaderboard.py [--users 10000 100000] [--records 20000000] [--repeat 15]

Prints figures; it is not a test. Each size gets a fresh database (burntop_bench_leaderboard). Users and
their daily rollups are generated directly in bulk SQL (the rollups a sync would have written for about
--records usage records in all, spread so that the records column sums to that; no raw usage_records are
generated, since boards never read them). Zones: 8 (UTC-8 to UTC+10); regions: all six plus none; 10% of
profiles private, 1% demo. Redis as in production (no request refreshes a board). Requests go through the Flask test client in this process (the app's own
time: routing, auth, SQL, JSON), after one warm-up request per board; p95 over --repeat requests.
Targets (issue 12): p95 <= 50 ms everywhere, full refresh <= 60 s, read cost flat from 10k to 100k users.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from burntop import create_app  # noqa: E402
from burntop.accounts.tokens import create_token  # noqa: E402
from burntop.extensions import db  # noqa: E402
from burntop.leaderboard import rules  # noqa: E402
from burntop.models import LeaderboardBoard, LeaderboardEntry, User  # noqa: E402

DB_NAME = "burntop_bench_leaderboard"
ZONES = ("UTC", "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/Paris",
         "Africa/Lagos", "Asia/Kolkata", "Australia/Sydney")
MODELS = ("claude-sonnet-4-20250514", "claude-opus-4-20250514", "gpt-4o", "o3", "gemini-2.5-pro",
          "claude-3-5-haiku-20241022")


def fresh_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return admin_url.rsplit("/", 1)[0] + "/" + DB_NAME


def fill(users: int, records: int) -> dict:
    """Users and rollups in bulk SQL. Each user is active on 5-45 days, every 1-3 days, the last one 0-10
    days ago (so current streaks and recent windows vary); one user in five also uses a second tool and model."""
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    regions = "ARRAY['NA', 'EU', 'APAC', 'SA', 'AF', 'OCE', NULL]"
    db.session.execute(text(f"""
        INSERT INTO users (username, email_verified, is_public, timezone, region, referral_code, is_admin, is_demo,
                           xp_centi, level, current_streak, longest_streak, login_streak, public_api_enabled,
                           created_at)
        SELECT 'bench-' || g, false, g % 10 <> 3, ({zones})[1 + g % 8], ({regions})[1 + (g / 8) % 7],
               'BENCH' || g, false, g % 100 = 42, g * 100, 1 + g % 40, 0, 0, 0, false, now() - interval '200 days'
        FROM generate_series(1, :users) AS g"""), {"users": users})
    models = "ARRAY[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    rows_sql = f"""
        SELECT u.id AS user_id, current_date - (u.id % 11) - n * (1 + u.id % 3) AS day,
               CASE WHEN k = 0 THEN 'claude-code' ELSE 'cursor' END AS source,
               ({models})[1 + (u.id + n + k) % 6] AS model, n, k
        FROM users u
        CROSS JOIN LATERAL generate_series(0, 4 + (u.id * 7919) % 41) AS n
        CROSS JOIN LATERAL generate_series(0, CASE WHEN u.id % 5 = 0 THEN 1 ELSE 0 END) AS k"""
    rows = db.session.execute(text(f"SELECT count(*) FROM ({rows_sql}) AS r")).scalar()
    per_row = max(records // rows, 1)
    db.session.execute(text(f"""
        INSERT INTO daily_rollups (user_id, day, source, model, provider, records, input_tokens, output_tokens,
                                   cache_creation_tokens, cache_read_tokens, reasoning_tokens, cost_nanos,
                                   unpriced_records, latency_ms_sum, latency_count, success_count, outcome_count,
                                   first_at, last_at)
        SELECT user_id, day, source, model, 'bench', :per_row,
               (1000 + (user_id * 31 + n * 17) % 50000) * :per_row,
               (200 + (user_id * 13 + n * 7) % 8000) * :per_row,
               (250 + (user_id * 31 + n * 17) % 12500) * :per_row,
               (1000 + (user_id * 31 + n * 17) % 50000) * (user_id % 7) * 3 * :per_row,
               CASE WHEN model = 'o3' THEN (200 + (user_id * 13 + n * 7) % 8000) / 2 * :per_row ELSE 0 END,
               0, CASE WHEN model = 'gemini-2.5-pro' AND user_id % 2 = 0 THEN :per_row ELSE 0 END,
               0, 0, 0, 0, now(), now()
        FROM ({rows_sql}) AS r
        ON CONFLICT DO NOTHING"""), {"per_row": per_row})
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"rollup_rows": rows, "records": rows * per_row}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def timed(client, url: str, headers: dict, repeat: int) -> tuple[float, dict]:
    response = client.get(url, headers=headers)  # warm-up (and a board's first use)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
    return p95(samples), response.get_json()


def measure(app, users: int, records: int, repeat: int, reuse: bool = False) -> dict:
    figures: dict = {"fill": {"rollup_rows": 0, "records": 0}, "fill_s": 0, "refresh_s": 0, "refresh2_s": 0,
                     "boards": 0, "ranks": 0}
    if not reuse:
        started = time.perf_counter()
        figures["fill"] = fill(users, records)
        figures["fill_s"] = time.perf_counter() - started
        from burntop.leaderboard.snapshots import refresh_all

        started = time.perf_counter()
        done = refresh_all()
        figures["refresh_s"] = time.perf_counter() - started
        figures["boards"] = sum(d["boards"] for d in done.values())
        figures["ranks"] = sum(d["entries"] for d in done.values())
        started = time.perf_counter()
        refresh_all()
        figures["refresh2_s"] = time.perf_counter() - started

    # The viewer: the user ranked ~80,000th (or 80% down a smaller board) on global/all, with 100 follows.
    board = db.session.scalar(select(LeaderboardBoard).where(
        LeaderboardBoard.type == "global", LeaderboardBoard.period == "all", LeaderboardBoard.filter_kind == ""))
    target = min(80_000, int(board.size * 0.8))
    viewer_id = db.session.scalar(select(LeaderboardEntry.user_id).where(
        LeaderboardEntry.board_id == board.id, LeaderboardEntry.generation == board.generation,
        LeaderboardEntry.rank == target))
    viewer = db.session.get(User, viewer_id)
    db.session.execute(text("""INSERT INTO follows (follower_id, followee_id, status, created_at)
                               SELECT :v, id, 'accepted', now() FROM users WHERE id <> :v ORDER BY id LIMIT 100
                               ON CONFLICT DO NOTHING"""),
                       {"v": viewer_id})
    _, key = create_token(viewer, "bench")
    db.session.commit()
    headers = {"X-API-Key": key}
    client = app.test_client()
    rows = []
    for board_type in rules.TYPES:
        for period in rules.BOARD_PERIODS:
            for label, extra in (("none", ""), ("tool", "&tool=cursor"), ("region", "&region=EU"),
                                 ("model", "&model=gpt-4o")):
                auth = headers if board_type == "friends" else {}
                ms, _ = timed(client, f"/api/leaderboard?type={board_type}&period={period}{extra}", auth, repeat)
                rows.append((board_type, period, label, ms))
    figures["rows"] = rows
    ms, body = timed(client, "/api/leaderboard?type=global&period=all&limit=100", headers, repeat)
    figures["user_entry"] = (ms, body["userEntry"])
    ms, body = timed(client, f"/api/leaderboard?type=global&period=all&cursor={target - 50}&limit=100", headers,
                     repeat)
    figures["deep_page"] = (ms, body["entries"][0]["rank"] if body["entries"] else None)
    figures["buffers"] = read_buffers(board.id, target, viewer_id)
    return figures


def read_buffers(board_id: int, target: int, viewer_id: int) -> dict:
    """Database pages each read touches (EXPLAIN BUFFERS): the read cost, whatever the machine's load."""
    from burntop.leaderboard import read

    captured: dict[str, int] = {}

    def explain(name, statement):
        compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled), compiled.params).scalar()
        top = plan[0]["Plan"]
        captured[name] = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)

    explain("first page", read.page_statement(board_id, 1, 100))
    explain(f"page at rank {target - 50}", read.page_statement(board_id, target - 50, 100))
    explain("userEntry", read.entry_statement(board_id, viewer_id))
    return captured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="as in production: requests never refresh a board themselves")
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--records", type=int, default=20_000_000, help="records at the largest size")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true",
                        help="measure reads only, on the database a previous run left (one size)")
    args = parser.parse_args()
    results = {}
    for users in args.users:
        url = (args.database_url.rsplit("/", 1)[0] + "/" + DB_NAME) if args.reuse else fresh_database(args.database_url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                          "REDIS_URL": args.redis_url, "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
                          "LOG_LEVEL": "WARNING"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            records = args.records * users // max(args.users)
            results[users] = measure(app, users, records, args.repeat, args.reuse)
            db.session.remove()
            db.engine.dispose()
        f = results[users]
        print(f"\n== {users:,} users: {f['fill']['rollup_rows']:,} rollup rows standing for "
              f"{f['fill']['records']:,} records (generated in {f['fill_s']:.0f} s)")
        print(f"full refresh: {f['refresh_s']:.1f} s first, {f['refresh2_s']:.1f} s again "
              f"({f['boards']} boards, {f['ranks']:,} ranks)")
        worst = max(f["rows"], key=lambda r: r[3])
        print(f"API p95 over {len(f['rows'])} type x period x filter combinations: "
              f"median {statistics.median(r[3] for r in f['rows']):.1f} ms, worst {worst[3]:.1f} ms {worst[:3]}")
        for label in ("none", "tool", "region", "model"):
            picked = [r[3] for r in f["rows"] if r[2] == label]
            print(f"  filter {label:6}: worst p95 {max(picked):.1f} ms, median {statistics.median(picked):.1f} ms")
        for board_type in rules.TYPES:
            picked = [r[3] for r in f["rows"] if r[0] == board_type]
            print(f"  type {board_type:9}: worst p95 {max(picked):.1f} ms")
        ms, entry = f["user_entry"]
        print(f"userEntry of the user ranked {entry['rank'] if entry else '?'}: p95 {ms:.1f} ms")
        ms, first = f["deep_page"]
        print(f"page from rank {first}: p95 {ms:.1f} ms")
        print("database pages touched per read: " + ", ".join(f"{k} {v}" for k, v in f["buffers"].items()))
    if len(results) > 1:
        small, large = min(results), max(results)
        ratio = statistics.median(r[3] for r in results[large]["rows"]) / statistics.median(
            r[3] for r in results[small]["rows"])
        print(f"\nread cost {large:,} vs {small:,} users: median p95 x{ratio:.2f}")


if __name__ == "__main__":
    main()
