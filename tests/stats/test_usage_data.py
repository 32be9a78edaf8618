"""burntop.stats.usage / profiles / dashboard data functions over rollups written by a real sync."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from freezegun import freeze_time

from burntop.extensions import db
from burntop.stats import dashboard, usage
from burntop.stats.periods import resolve
from tests.factories import auth, make_token, make_user, record


def sync(client, user, records):
    response = client.post("/api/sync", json={"records": records}, headers=auth(make_token(user)))
    assert response.status_code == 200, response.get_json()
    db.session.refresh(user)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def test_summary_counts_every_kind_and_cache_efficiency(client):
    user = make_user("sum")
    sync(client, user, [
        record(at=at("2026-03-02"), inputTokens=100, outputTokens=50, cacheCreationTokens=20, cacheReadTokens=80,
               reasoningTokens=7),
        record(at=at("2026-03-04"), inputTokens=10, outputTokens=5, model="gpt-5", source="codex"),
    ])
    week = usage.summary(user, resolve("week", "UTC", date(2026, 3, 4)))
    assert week["tokens"] == 100 + 50 + 20 + 80 + 10 + 5
    assert (week["input_tokens"], week["output_tokens"], week["cache_creation_tokens"], week["cache_read_tokens"],
            week["reasoning_tokens"]) == (110, 55, 20, 80, 7)
    assert week["records"] == 2 and week["active_days"] == 2
    assert week["cache_efficiency"] == 80 / (110 + 20 + 80)
    assert week["cost_nanos"] > 0
    assert usage.summary(user, resolve("week", "UTC", date(2026, 3, 10)))["tokens"] == 0
    assert usage.summary(user, None)["tokens"] == week["tokens"]


def test_daily_tokens_are_zero_filled_and_ascending(client):
    user = make_user("daily")
    sync(client, user, [record(at=at("2026-03-02"), inputTokens=1, outputTokens=1),
                        record(at=at("2026-03-05"), inputTokens=3, outputTokens=0)])
    assert usage.daily_tokens(user, date(2026, 3, 1), date(2026, 3, 6)) == [
        (date(2026, 3, 1), 0), (date(2026, 3, 2), 2), (date(2026, 3, 3), 0), (date(2026, 3, 4), 0),
        (date(2026, 3, 5), 3), (date(2026, 3, 6), 0)]


def test_breakdown_shares_and_first_use(client):
    user = make_user("mix")
    sync(client, user, [
        record(at=at("2026-01-10", 9), inputTokens=150, outputTokens=0, model="gpt-5", source="codex"),
        record(at=at("2026-03-02"), inputTokens=200, outputTokens=0),
        record(at=at("2026-03-03"), inputTokens=100, outputTokens=0, model="gpt-5", source="codex"),
    ])
    march = resolve("month", "UTC", date(2026, 3, 20))
    by_model = usage.breakdown(user, march, "model")
    assert [(i["model"], i["tokens"], i["percentage"]) for i in by_model] == [
        ("claude-sonnet-4-20250514", 200, 66.7), ("gpt-5", 100, 33.3)]
    assert by_model[1]["first_used"] == "2026-01-10T09:00:00Z"  # first use ever, not in the period
    assert [i["source"] for i in usage.breakdown(user, None, "source")] == ["codex", "claude-code"]


def test_week_over_week_compares_the_same_days(client):
    user = make_user("wow")
    # Last week: Monday 100, Tuesday 100, Friday 1000 (after the weekday we compare to).
    sync(client, user, [record(at=at(day), inputTokens=n, outputTokens=0) for day, n in (
        ("2026-03-02", 100), ("2026-03-03", 100), ("2026-03-06", 1000), ("2026-03-09", 150), ("2026-03-10", 150))])
    result = dashboard.comparisons(user, date(2026, 3, 10))  # Tuesday
    assert result["weekOverWeek"]["tokens"] == 0.5  # 300 against 200
    assert dashboard.comparisons(user, date(2026, 3, 17))["weekOverWeek"]["tokens"] == -1.0
    assert dashboard.comparisons(user, date(2026, 2, 24))["weekOverWeek"] == {"tokens": None, "cost": None}


def test_same_days_last_month_stop_at_its_end():
    assert dashboard.same_days_last_month(date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert dashboard.same_days_last_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 15))


def test_new_models_are_those_first_used_in_the_period(client):
    user = make_user("newish")
    sync(client, user, [record(at=at("2026-01-10"), model="gpt-5", source="codex"),
                        record(at=at("2026-03-03")), record(at=at("2026-03-04"), model="gpt-5", source="codex")])
    march = resolve("month", "UTC", date(2026, 3, 20))
    body = dashboard.models(user, march)
    assert [m["model"] for m in body["newModels"]] == ["claude-sonnet-4-20250514"]
    assert body["newModels"][0]["firstUsed"] == "2026-03-03T12:00:00Z"
    every = dashboard.models(user, resolve("all", "UTC", date(2026, 3, 20)))
    assert [m["model"] for m in every["newModels"]] == ["claude-sonnet-4-20250514", "gpt-5"]


def test_trends_series_starts_at_the_first_day_for_all(client):
    user = make_user("series")
    with freeze_time("2026-03-05T10:00:00Z"):
        sync(client, user, [record(at=at("2026-03-03", 14))])
        body = dashboard.trends(user, resolve("all", "UTC", date(2026, 3, 5)))
    assert [d["date"] for d in body["usageOverTime"]] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    assert body["peakHours"][14]["tokens"] == 1500 and len(body["peakHours"]) == 24
    assert body["dayOfWeek"][1] == {"day": "Tuesday", "tokens": 1500}
    empty = make_user("empty")
    assert dashboard.trends(empty, resolve("all", "UTC", date(2026, 3, 5)))["usageOverTime"] == []


def test_a_record_a_fast_clock_put_tomorrow_still_counts_this_week(client):
    user = make_user("fast")
    now = datetime(2026, 3, 4, 23, 0, tzinfo=timezone.utc)
    with freeze_time(now):
        sync(client, user, [record(at=now + timedelta(hours=3))])  # Thursday, still this week
    assert usage.summary(user, resolve("week", "UTC", date(2026, 3, 4)))["records"] == 1
