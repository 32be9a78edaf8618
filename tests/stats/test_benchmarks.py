"""The percentile job: its snapshot against a brute-force computation over a seeded population."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from burntop import jobs
from burntop.extensions import db
from burntop.models import PercentileSnapshot
from burntop.stats import benchmarks
from burntop.stats.periods import local_today, resolve
from tests.factories import make_user
from tests.stats.rollups import rollup

ZONES = ("UTC", "America/Los_Angeles", "Pacific/Auckland", "Europe/Paris")
MODELS = ("claude-sonnet-4-20250514", "gpt-4o", "claude-opus-4-20250514", "made-up-model")


def seed(now: datetime, people: int = 40, seed_value: int = 7) -> list[dict]:
    """Random users (some private, some demo, in several zones) with rollups; returns what was seeded."""
    rng = random.Random(seed_value)
    seeded = []
    for i in range(people):
        tz = rng.choice(ZONES)
        today = local_today(tz, now)
        last = rng.choice([None, today, today - timedelta(days=1), today - timedelta(days=5)])
        user = make_user(f"seed-{i}", timezone=tz, is_public=rng.random() > 0.2, is_demo=rng.random() < 0.15,
                         current_streak=rng.randint(0, 40) if last else 0, last_active_day=last)
        rows = []
        for _ in range(rng.randint(0, 6)):
            day = today - timedelta(days=rng.choice([0, 1, 2, 6, 10, 40, 400]))
            model = rng.choice(MODELS)
            fields = dict(input_tokens=rng.randint(0, 10**6), output_tokens=rng.randint(0, 10**5),
                          cache_creation_tokens=rng.choice([0, rng.randint(0, 10**6)]),
                          cache_read_tokens=rng.choice([0, rng.randint(0, 10**7)]),
                          records=3, unpriced_records=3 if model == "made-up-model" else rng.choice([0, 1]))
            if any(r["day"] == day and r["model"] == model for r in rows):
                continue
            rollup(user, day, model, **fields)
            rows.append({"day": day, "model": model, **fields})
        if rng.random() < 0.1:  # a day after the user's today (a fast clock): in no period
            rollup(user, today + timedelta(days=1), input_tokens=5)
            rows.append({"day": today + timedelta(days=1), "model": MODELS[0], "input_tokens": 5, "output_tokens": 0,
                         "cache_creation_tokens": 0, "cache_read_tokens": 0, "records": 1, "unpriced_records": 0})
        seeded.append({"user": user, "tz": tz, "today": today, "public": user.is_public, "demo": user.is_demo,
                       "streak": user.current_streak, "last": last, "rows": rows})
    db.session.commit()
    return seeded


def brute_force(seeded: list[dict], period: str) -> dict[str, list]:
    """Each metric's values, computed the slow obvious way from what was seeded."""
    values = {metric: [] for metric in benchmarks.METRICS}
    for person in seeded:
        if not person["public"] or person["demo"]:
            continue
        span = resolve(period, person["tz"], person["today"])
        rows = [r for r in person["rows"] if span.contains(r["day"])]
        if not rows:
            continue
        values["tokens"].append(sum(r["input_tokens"] + r["output_tokens"] + r["cache_creation_tokens"]
                                    + r["cache_read_tokens"] for r in rows))
        prompt = sum(r["input_tokens"] + r["cache_creation_tokens"] + r["cache_read_tokens"] for r in rows)
        if prompt:
            values["cacheEfficiency"].append(sum(r["cache_read_tokens"] for r in rows) / prompt)
        alive = person["last"] is not None and person["last"] >= person["today"] - timedelta(days=1)
        values["streak"].append(person["streak"] if alive else 0)
        values["diversity"].append(len({r["model"] for r in rows if r["unpriced_records"] < r["records"]}))
    return values


@pytest.mark.parametrize("now", [
    datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc),  # a Wednesday everywhere
    datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc),  # Monday 01:00 in Auckland, Sunday elsewhere
    datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc),  # 1 December in Auckland, 30 November elsewhere
])
def test_snapshot_matches_brute_force(app, now):
    seeded = seed(now)
    populations = benchmarks.refresh_percentiles(now)
    for period in ("all", "month", "week"):
        expected = brute_force(seeded, period)
        stored = benchmarks.snapshot(period)
        assert set(stored) == set(benchmarks.METRICS)
        for metric, values in expected.items():
            row = stored[metric]
            assert row.population == len(values) == populations[period][metric]
            assert row.quantiles == pytest.approx(sorted(values))
            assert row.mean == pytest.approx(sum(values) / len(values) if values else 0.0)
            assert row.computed_at == now
    assert len(expected["tokens"]) >= 3  # the seed makes a real population in the narrowest period


def test_private_and_demo_users_are_left_out(app):
    now = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)
    day = date(2026, 11, 25)
    for username, fields in (("shown", {}), ("hidden", {"is_public": False}), ("demo-user", {"is_demo": True})):
        rollup(make_user(username, **fields), day, input_tokens=1000 if username == "shown" else 999_999)
    db.session.commit()
    benchmarks.refresh_percentiles(now)
    row = benchmarks.snapshot("week")["tokens"]
    assert (row.population, row.quantiles) == (1, [1000])


def test_week_and_month_follow_each_users_zone(app):
    # 2026-11-30 12:00 UTC is Tuesday 1 December 01:00 in Auckland and Monday 30 November 04:00 in Los Angeles.
    now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    kiwi, angeleno = make_user("kiwi", timezone="Pacific/Auckland"), make_user("angeleno", timezone="America/Los_Angeles")
    rollup(kiwi, date(2026, 11, 30), input_tokens=100)     # Auckland: last month, this week
    rollup(kiwi, date(2026, 12, 1), input_tokens=10)       # Auckland: today
    rollup(angeleno, date(2026, 11, 29), input_tokens=7)   # LA: Sunday, last week, this month
    rollup(angeleno, date(2026, 11, 30), input_tokens=1)   # LA: today (Monday)
    db.session.commit()
    benchmarks.refresh_percentiles(now)
    assert benchmarks.snapshot("week")["tokens"].quantiles == [1, 110]
    assert benchmarks.snapshot("month")["tokens"].quantiles == [8, 10]
    assert benchmarks.snapshot("all")["tokens"].quantiles == [8, 110]


def test_large_populations_are_summarized(app, monkeypatch):
    from burntop.stats import percentiles

    monkeypatch.setattr(percentiles, "MAX_POINTS", 5)
    now = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)
    for i in range(12):
        rollup(make_user(f"many-{i}"), date(2026, 11, 25), input_tokens=i * 10)
    db.session.commit()
    benchmarks.refresh_percentiles(now)
    row = benchmarks.snapshot("week")["tokens"]
    assert row.population == 12 and row.quantiles == [0, 20, 50, 80, 110]


def test_the_job_is_scheduled_every_15_minutes_and_rewrites_in_place(app):
    assert any(p.func is jobs.refresh_percentiles and p.interval == 900 for p in jobs.SCHEDULE)
    rollup(make_user("solo"), date(2026, 11, 25), input_tokens=5)
    db.session.commit()
    jobs.refresh_percentiles()
    assert db.session.query(PercentileSnapshot).count() == 3 * len(benchmarks.METRICS)


def test_no_population_still_records_a_snapshot(app):
    benchmarks.refresh_percentiles(datetime(2026, 11, 25, tzinfo=timezone.utc))
    row = benchmarks.snapshot("all")["tokens"]
    assert (row.population, row.quantiles, row.mean) == (0, [], 0.0)


@pytest.mark.embedded
def test_without_a_worker_requests_refresh_a_stale_snapshot_now_and_then(app, client):
    from freezegun import freeze_time

    with freeze_time("2026-11-25T15:00:00Z") as clock:
        rollup(make_user("first"), date(2026, 11, 25), input_tokens=5)
        db.session.commit()
        client.get("/api/health")  # frozen monotonic time is far past start-up: the check is due
        assert benchmarks.last_computed() == datetime(2026, 11, 25, 15, tzinfo=timezone.utc)
        rollup(make_user("second"), date(2026, 11, 25), input_tokens=7)
        db.session.commit()
        clock.tick(120)
        client.get("/api/health")  # checked, but the snapshot is 2 minutes old: kept
        assert benchmarks.snapshot("week")["tokens"].population == 1
        clock.tick(14 * 60)
        client.get("/api/health")
        assert benchmarks.snapshot("week")["tokens"].population == 2


def test_the_refresh_command(app, runner):
    rollup(make_user("solo"), datetime.now(timezone.utc).date(), input_tokens=5)
    db.session.commit()
    result = runner.invoke(args=["percentiles", "refresh", "--if-missing"])
    assert result.exit_code == 0 and "week: tokens 1 user," in result.output, result.output
    again = runner.invoke(args=["percentiles", "refresh", "--if-missing"])
    assert "nothing to do" in again.output
    assert "all: tokens 1 user," in runner.invoke(args=["percentiles", "refresh"]).output
