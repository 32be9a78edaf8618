"""GET /api/insights: auth, the period parameter, the body's shape, percentiles against brute force at
week and month boundaries, and a request path that reads no other user's rows."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from freezegun import freeze_time

from burntop.extensions import db
from burntop.stats import benchmarks
from burntop.stats.figures import forget_figures
from burntop.stats.insights import insights_for
from tests.factories import auth, make_token, make_user, sign_in
from tests.sql import statements
from tests.stats.rollups import rollup

NOW = "2026-11-25T15:00:00Z"  # a Wednesday
TODAY = date(2026, 11, 25)


def population(tokens: list[int], day: date = TODAY) -> None:
    for i, n in enumerate(tokens):
        rollup(make_user(f"peer-{i}"), day, input_tokens=n)
    db.session.commit()


def test_signed_out_is_401(client):
    response = client.get("/api/insights")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_unknown_period_is_a_400_naming_the_allowed_values(client):
    token = make_token(make_user("ada"))
    for bad in ("year", "7d", "WEEK"):
        response = client.get(f"/api/insights?period={bad}", headers=auth(token))
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "VALIDATION_ERROR" and "all, month, week" in error["message"]
        assert error["details"][0]["allowed"] == ["all", "month", "week"]


def test_shape_and_headers_for_a_session(app, client):
    with freeze_time(NOW):
        user = make_user("ada", timezone="Europe/Paris")
        rollup(user, TODAY, input_tokens=1000, cache_read_tokens=3000, output_tokens=10)
        db.session.commit()
        sign_in(client, user)
        response = client.get("/api/insights?period=week")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert set(body) >= {"percentiles", "insights", "recommendations"}
    assert set(body["percentiles"]) == {"tokens", "cacheEfficiency", "streak", "diversity"}
    for item in body["insights"]:
        assert set(item) == {"type", "title", "message", "sentiment"}
        assert item["type"] in {"comparison", "efficiency", "productivity", "achievement"}
        assert item["sentiment"] in {"positive", "neutral", "negative"}
    for item in body["recommendations"]:
        assert set(item) == {"title", "message", "action"}
    assert (body["period"], body["timeZone"], body["from"], body["to"]) == ("week", "Europe/Paris", "2026-11-23",
                                                                         "2026-11-25")
    assert body["figures"]["totalTokens"] == 4010 and body["figures"]["cacheEfficiency"] == 0.75
    assert client.get("/api/insights").get_json()["period"] == "all"  # the default


def test_before_the_first_snapshot_no_percentile_is_invented(app, client):
    with freeze_time(NOW):
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=1000)
        db.session.commit()
        body = client.get("/api/insights", headers=auth(make_token(user))).get_json()
    assert body["percentiles"] == {"tokens": None, "cacheEfficiency": None, "streak": None, "diversity": None}
    assert body["benchmark"]["status"] == "pending" and "not been computed" in body["benchmark"]["message"]
    assert all(i["type"] != "comparison" for i in body["insights"])


def test_a_small_population_says_so(app, client):
    with freeze_time(NOW):
        population([10, 20, 30])
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=25)
        db.session.commit()
        benchmarks.refresh_percentiles()
        body = client.get("/api/insights?period=week", headers=auth(make_token(user))).get_json()
    assert set(body["percentiles"].values()) == {None}
    assert body["benchmark"]["status"] == "too_few_users" and body["benchmark"]["population"] == 4
    assert body["benchmark"]["message"] == \
        "Only 4 public users to compare with (public users active this week); percentiles need at least 10."


def test_private_and_demo_users_are_no_one_to_compare_with(app, client):
    with freeze_time(NOW):
        for name, fields in (("hidden", {"is_public": False}), ("demo-user", {"is_demo": True})):
            rollup(make_user(name, **fields), TODAY, input_tokens=5)
        db.session.commit()
        benchmarks.refresh_percentiles()
        user = make_user("ada")
        body = client.get("/api/insights?period=month", headers=auth(make_token(user))).get_json()
    assert body["benchmark"]["population"] == 0 and set(body["percentiles"].values()) == {None}
    assert body["benchmark"]["message"].startswith("No public users to compare with (public users active this month)")
    assert [i["title"] for i in body["insights"]] == ["No Usage Yet"]
    assert [r["title"] for r in body["recommendations"]] == ["Sync Your Usage"]


def test_percentiles_against_brute_force(app, client):
    peers = [0, 5, 50, 100, 100, 100, 300, 1000, 2000, 5000, 9000]
    with freeze_time(NOW):
        population(peers)
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=100, cache_read_tokens=0)
        db.session.commit()
        benchmarks.refresh_percentiles()
        body = client.get("/api/insights?period=week", headers=auth(make_token(user))).get_json()
    everyone = peers + [100]
    assert body["benchmark"] == {"status": "ready", "population": 12, "computedAt": NOW,
                                 "message": "Compared with 12 public users active this week; refreshed every 15 minutes."}
    expected = sum(v < 100 for v in everyone) / len(everyone)  # 3 of 12: strictly below only
    assert body["percentiles"]["tokens"] == pytest.approx(int(expected * 1000) / 1000)
    assert body["percentiles"]["cacheEfficiency"] == 0  # everyone read nothing from cache: ties are not below
    assert body["percentiles"]["diversity"] == 0


def test_week_boundary_in_the_users_zone(app, client):
    # Sunday 29 November 2026 12:00 UTC is Monday 30 November 01:00 in Auckland: a new week there.
    with freeze_time("2026-11-29T12:00:00Z"):
        kiwi = make_user("kiwi", timezone="Pacific/Auckland")
        rollup(kiwi, date(2026, 11, 29), input_tokens=500)   # last week in Auckland
        rollup(kiwi, date(2026, 11, 30), input_tokens=40)    # today in Auckland
        for i in range(11):
            peer = make_user(f"peer-{i}", timezone="Pacific/Auckland")
            rollup(peer, date(2026, 11, 30), input_tokens=i * 10)
        db.session.commit()
        benchmarks.refresh_percentiles()
        token = make_token(kiwi)
        week = client.get("/api/insights?period=week", headers=auth(token)).get_json()
        month = client.get("/api/insights?period=month", headers=auth(token)).get_json()
    assert (week["from"], week["to"], week["figures"]["totalTokens"]) == ("2026-11-30", "2026-11-30", 40)
    assert week["percentiles"]["tokens"] == pytest.approx(int(4 / 12 * 1000) / 1000)  # 0, 10, 20, 30 below 40
    assert month["figures"]["totalTokens"] == 540
    assert month["percentiles"]["tokens"] == pytest.approx(int(11 / 12 * 1000) / 1000)


def test_a_snapshot_from_last_week_is_not_used_this_week(app, client):
    with freeze_time("2026-11-29T10:00:00Z"):  # Sunday 23:00 in Auckland
        population(list(range(12)), day=date(2026, 11, 29))
        benchmarks.refresh_percentiles()
    with freeze_time("2026-11-29T11:30:00Z"):  # Monday 00:30 in Auckland, Sunday in UTC
        kiwi = make_user("kiwi", timezone="Pacific/Auckland")
        rollup(kiwi, date(2026, 11, 30), input_tokens=1)
        db.session.commit()
        token = make_token(kiwi)
        kiwi_week = client.get("/api/insights?period=week", headers=auth(token)).get_json()
        utc_user = make_user("utc")
        rollup(utc_user, date(2026, 11, 29), input_tokens=5)
        db.session.commit()
        utc_week = client.get("/api/insights?period=week", headers=auth(make_token(utc_user))).get_json()
    assert kiwi_week["benchmark"]["status"] == "pending" and "new week" in kiwi_week["benchmark"]["message"]
    assert kiwi_week["percentiles"]["tokens"] is None
    assert utc_week["benchmark"]["status"] == "ready"


def _user_rows_only(seen: list[str], user_id: int) -> None:
    for statement in seen:
        sql = " ".join(statement.split()).lower()
        if not sql.startswith("select"):
            continue
        for table in ("daily_rollups", "usage_hours"):
            if re.search(rf"from {table}\b", sql):
                assert f"{table}.user_id = " in sql, statement
        if re.search(r"from users\b", sql):
            assert "users.id = " in sql, statement


def test_the_request_reads_only_the_users_own_rows_and_the_snapshot(app, client):
    counts = []
    with freeze_time(NOW):
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=100)
        db.session.commit()
        token = make_token(user)
        for size in (12, 40):
            for i in range(len(counts) * 12, size):
                rollup(make_user(f"peer-{i}"), TODAY, input_tokens=i)
            db.session.commit()
            benchmarks.refresh_percentiles()
            client.get("/api/insights", headers=auth(token))  # the token's first use writes last_used_at
            forget_figures(user.id)  # measure the computation, not the memoized answer
            with statements() as seen:
                assert client.get("/api/insights", headers=auth(token)).status_code == 200
            _user_rows_only(seen, user.id)
            assert any("percentile_snapshots" in s for s in seen)
            counts.append(len(seen))
    assert counts[0] == counts[1]  # the same statements whatever the number of users


def test_insights_for_is_the_api_body(app, client):
    with freeze_time(NOW):
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=100)
        db.session.commit()
        assert insights_for(user, "month") == client.get(
            "/api/insights?period=month", headers=auth(make_token(user))).get_json()
        with pytest.raises(ValueError):
            insights_for(user, "year")


def test_figures_of_records_sent_through_sync(app, client):
    from tests.factories import record

    with freeze_time(NOW):
        user = make_user("ada", timezone="America/Los_Angeles")
        token = make_token(user)
        records = [record(at="2026-11-25T06:00:00Z", inputTokens=100, outputTokens=10, cacheReadTokens=300),  # LA: 24th
                   record(at="2026-11-22T20:00:00Z", inputTokens=50, outputTokens=0),  # LA: Sunday 22nd, last week
                   record(at="2026-11-01T09:00:00Z", inputTokens=7, outputTokens=0, model="gpt-4o")]  # LA: 1st
        assert client.post("/api/sync", json={"records": records}, headers=auth(token)).status_code == 200
        week = client.get("/api/insights?period=week", headers=auth(token)).get_json()
        month = client.get("/api/insights?period=month", headers=auth(token)).get_json()
    assert week["figures"]["totalTokens"] == 410 and week["figures"]["cacheEfficiency"] == 0.75
    assert week["figures"]["activeDays"] == 1 and week["from"] == "2026-11-23"
    assert month["figures"]["totalTokens"] == 467 and month["figures"]["distinctModels"] == 2
    assert "on 1 of the 3 days this week so far (America/Los_Angeles)" in " ".join(
        i["message"] for i in week["insights"])


def test_the_streak_is_taken_as_it_stands_today(app, client):
    with freeze_time(NOW):
        alive = make_user("alive", current_streak=9, longest_streak=12, last_active_day=date(2026, 11, 24))
        lapsed = make_user("lapsed", current_streak=9, longest_streak=12, last_active_day=date(2026, 11, 23))
        bodies = [client.get("/api/insights", headers=auth(make_token(u))).get_json() for u in (alive, lapsed)]
    assert bodies[0]["figures"]["currentStreak"] == 9
    assert bodies[0]["recommendations"][1] == {
        "title": "Improve Streak", "action": "Keep syncing daily!",
        "message": "You're 3 days away from your longest streak record (12 days); your current one is 9 days."}
    assert bodies[1]["figures"]["currentStreak"] == 0
    assert "You have no current streak; your longest was 12 days." in [r["message"] for r in bodies[1]["recommendations"]]


def test_a_memoized_answer_follows_a_new_snapshot(app, client):
    with freeze_time(NOW):
        user = make_user("ada")
        rollup(user, TODAY, input_tokens=100)
        for i in range(12):
            rollup(make_user(f"peer-{i}"), TODAY, input_tokens=1_000 + i)
        db.session.commit()
        token = make_token(user)
        first = client.get("/api/insights", headers=auth(token)).get_json()
        assert first["benchmark"]["status"] == "pending"
        benchmarks.refresh_percentiles()
        after = client.get("/api/insights", headers=auth(token)).get_json()
        assert after["benchmark"]["status"] == "ready" and after["percentiles"]["tokens"] == 0.0
