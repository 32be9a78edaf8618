"""GET /api/dashboard/overview|trends|models|tools: auth, period, shapes, local weeks and months, DST."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from burntop.extensions import db
from tests.factories import auth, make_token, make_user, record, sign_in
from tests.test_rebucket import run_jobs

NAMES = ("overview", "trends", "models", "tools")
# spec 000's example bodies, as key sets
SHAPES = {
    "overview": {"allTime": {"totalTokens", "totalCost", "cacheEfficiency"},
                 "thisMonth": {"totalTokens", "totalCost"}, "thisWeek": {"totalTokens", "totalCost"},
                 "streak": {"current", "longest"}, "level": {"level", "title", "currentXp", "xpToNextLevel"}},
    "trends": {"weekOverWeek": {"tokens", "cost"}, "monthOverMonth": {"tokens", "cost"},
               "usageOverTime": {"date", "tokens", "cost"}, "peakHours": {"hour", "tokens"},
               "dayOfWeek": {"day", "tokens"}},
    "models": {"distribution": {"model", "tokens", "cost", "percentage"}, "overTime": {"date", "model", "tokens"},
               "newModels": {"model", "firstUsed", "tokens"}},
    "tools": {"distribution": {"source", "tokens", "cost", "percentage"}, "overTime": {"date", "source", "tokens"},
              "newTools": {"source", "firstUsed", "tokens"}},
}


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["code"] == code
    return body


def sync(client, token, records) -> None:
    response = client.post("/api/sync", json={"records": records}, headers=auth(token))
    assert response.status_code == 200, response.get_json()


def local(tz: str, y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ZoneInfo(tz))


def dashboard(client, token, name: str, period: str | None = None) -> dict:
    query = f"?period={period}" if period else ""
    response = client.get(f"/api/dashboard/{name}{query}", headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.get_json()


def person(client, tz: str = "UTC", username: str = "dev"):
    user = make_user(username)
    if tz != "UTC":
        user.timezone = tz
        db.session.commit()
    return user, make_token(user)


@pytest.mark.parametrize("name", NAMES)
def test_signed_out_is_401(client, name):
    error(client.get(f"/api/dashboard/{name}"), 401, "UNAUTHORIZED")
    error(client.get(f"/api/dashboard/{name}?period=week"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("period", ["year", "7d", "", "WEEK"])
def test_an_unknown_period_is_400_naming_the_allowed_values(client, name, period):
    _, token = person(client)
    body = error(client.get(f"/api/dashboard/{name}?period={period}", headers=auth(token)), 400, "VALIDATION_ERROR")
    assert "all, month, week" in body["message"]
    assert body["details"][0]["field"] == "period" and body["details"][0]["allowed"] == ["all", "month", "week"]


@pytest.mark.parametrize("name", NAMES)
def test_a_browser_session_works_too(client, name):
    user, _ = person(client)
    sign_in(client, user)
    response = client.get(f"/api/dashboard/{name}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"


def _shape(body: dict, shape: dict) -> None:
    assert set(body) == set(shape)
    for key, keys in shape.items():
        value = body[key]
        items = value if isinstance(value, list) else [value]
        assert items, f"{key} is empty: the shape check would prove nothing"
        for item in items:
            assert set(item) == keys, key


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("period", [None, "all", "month", "week"])
def test_bodies_are_spec_000s_shapes(client, name, period):
    _, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):
        sync(client, token, [record(at="2026-03-03T10:00:00Z"), record(at="2026-03-10T10:00:00Z", model="gpt-5",
                                                                        source="codex")])
        _shape(dashboard(client, token, name, period), SHAPES[name])


def test_overview_figures(client):
    user, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):  # a Wednesday
        sync(client, token, [
            record(at="2026-02-27T10:00:00Z", inputTokens=1000, outputTokens=0),  # last month
            record(at="2026-03-06T10:00:00Z", inputTokens=200, outputTokens=0),  # this month, last week
            record(at="2026-03-09T10:00:00Z", inputTokens=30, outputTokens=0, cacheReadTokens=70),  # this week
        ])
        body = dashboard(client, token, "overview")
    db.session.refresh(user)
    assert body["allTime"]["totalTokens"] == 1300 and body["allTime"]["cacheEfficiency"] == round(70 / 1300, 4)
    assert body["thisMonth"]["totalTokens"] == 300 and body["thisWeek"]["totalTokens"] == 100
    assert body["allTime"]["totalCost"] > body["thisMonth"]["totalCost"] > body["thisWeek"]["totalCost"] > 0
    assert body["streak"] == {"current": 0, "longest": 1}
    assert body["level"]["level"] == user.level and body["level"]["currentXp"] == user.xp_centi / 100


def test_trends_figures(client):
    _, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):  # Wednesday
        sync(client, token, [
            record(at="2026-02-10T09:00:00Z", inputTokens=400, outputTokens=0),  # Feb 1-11: same days last month
            record(at="2026-02-20T09:00:00Z", inputTokens=9000, outputTokens=0),  # after Feb 11: not compared
            record(at="2026-03-03T09:00:00Z", inputTokens=100, outputTokens=0),  # last Tuesday
            record(at="2026-03-06T09:00:00Z", inputTokens=5000, outputTokens=0),  # last Friday: not compared
            record(at="2026-03-10T14:00:00Z", inputTokens=150, outputTokens=0),  # this Tuesday
        ])
        body = dashboard(client, token, "trends", "month")
        week = dashboard(client, token, "trends", "week")
    assert body["weekOverWeek"]["tokens"] == 0.5  # 150 against 100
    assert body["monthOverMonth"]["tokens"] == round((5250 - 400) / 400, 4)
    assert body["weekOverWeek"]["cost"] == 0.5
    assert [d["date"] for d in body["usageOverTime"]] == [f"2026-03-{d:02d}" for d in range(1, 12)]
    assert [d["tokens"] for d in body["usageOverTime"]][2:6] == [100, 0, 0, 5000]
    assert [d["date"] for d in week["usageOverTime"]] == ["2026-03-09", "2026-03-10", "2026-03-11"]
    assert [h["hour"] for h in body["peakHours"]] == list(range(24))
    assert body["peakHours"][9]["tokens"] == 400 + 9000 + 100 + 5000 and body["peakHours"][14]["tokens"] == 150
    assert [d["day"] for d in body["dayOfWeek"]] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                     "Saturday", "Sunday"]
    assert body["dayOfWeek"][1]["tokens"] == 250 and body["dayOfWeek"][4]["tokens"] == 5000  # this month only
    assert week["dayOfWeek"][1]["tokens"] == 150 and week["dayOfWeek"][4]["tokens"] == 0
    assert week["weekOverWeek"] == body["weekOverWeek"]  # comparisons ignore the period


def test_models_and_tools_figures(client):
    _, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):
        sync(client, token, [
            record(at="2026-02-10T09:00:00Z", inputTokens=100, outputTokens=0, model="gpt-5", source="codex"),
            record(at="2026-03-02T09:00:00Z", inputTokens=300, outputTokens=0),
            record(at="2026-03-10T09:30:00Z", inputTokens=100, outputTokens=0, model="gpt-5", source="codex"),
        ])
        models = dashboard(client, token, "models", "month")
        tools = dashboard(client, token, "tools", "all")
    assert [(d["model"], d["tokens"], d["percentage"]) for d in models["distribution"]] == [
        ("claude-sonnet-4-20250514", 300, 75.0), ("gpt-5", 100, 25.0)]
    assert models["overTime"] == [{"date": "2026-03-02", "model": "claude-sonnet-4-20250514", "tokens": 300},
                                  {"date": "2026-03-10", "model": "gpt-5", "tokens": 100}]
    assert models["newModels"] == [{"model": "claude-sonnet-4-20250514", "firstUsed": "2026-03-02T09:00:00Z",
                                    "tokens": 300}]
    assert [(d["source"], d["percentage"]) for d in tools["distribution"]] == [("claude-code", 60.0), ("codex", 40.0)]
    assert tools["newTools"] == [{"source": "claude-code", "firstUsed": "2026-03-02T09:00:00Z", "tokens": 300},
                                 {"source": "codex", "firstUsed": "2026-02-10T09:00:00Z", "tokens": 200}]


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Pacific/Auckland", "Etc/GMT+8", "Etc/GMT-13"])
def test_week_and_month_boundaries_are_local(client, tz):
    """Records just either side of local midnight on Monday 2026-03-02 (and 1 March): local days decide."""
    _, token = person(client, tz)
    sunday_late = local(tz, 2026, 3, 1, 23) + timedelta(minutes=30)
    monday_early = local(tz, 2026, 3, 2, 0) + timedelta(minutes=30)
    feb_last = local(tz, 2026, 2, 28, 23) + timedelta(minutes=30)
    with freeze_time(local(tz, 2026, 3, 4, 10).astimezone(timezone.utc)):  # Wednesday, local
        sync(client, token, [record(at=feb_last, inputTokens=1, outputTokens=0),
                             record(at=sunday_late, inputTokens=10, outputTokens=0),
                             record(at=monday_early, inputTokens=100, outputTokens=0)])
        overview = dashboard(client, token, "overview")
        week = dashboard(client, token, "trends", "week")
    assert overview["thisWeek"]["totalTokens"] == 100
    assert overview["thisMonth"]["totalTokens"] == 110
    assert overview["allTime"]["totalTokens"] == 111
    assert [d["date"] for d in week["usageOverTime"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert week["usageOverTime"][0]["tokens"] == 100
    assert week["peakHours"][0]["tokens"] == 100 and week["peakHours"][23]["tokens"] == 11


def test_a_month_series_across_a_dst_change_has_one_entry_per_local_day(client):
    """Europe/Berlin springs forward on 2026-03-29: 23 hours that day, still one entry, late records stay."""
    tz = "Europe/Berlin"
    _, token = person(client, tz)
    with freeze_time("2026-03-31T20:00:00Z"):
        sync(client, token, [record(at=local(tz, 2026, 3, 29, 23) + timedelta(minutes=30), inputTokens=7,
                                    outputTokens=0),
                             record(at=local(tz, 2026, 3, 28, 0) + timedelta(minutes=30), inputTokens=5,
                                    outputTokens=0)])
        body = dashboard(client, token, "trends", "month")
    days = [d["date"] for d in body["usageOverTime"]]
    assert days == [f"2026-03-{d:02d}" for d in range(1, 32)] and len(set(days)) == 31
    by_day = {d["date"]: d["tokens"] for d in body["usageOverTime"]}
    assert (by_day["2026-03-28"], by_day["2026-03-29"], by_day["2026-03-30"]) == (5, 7, 0)
    assert body["peakHours"][23]["tokens"] == 7 and body["peakHours"][0]["tokens"] == 5


def test_a_dst_change_in_the_user_zone_keeps_monday_weeks(client):
    """America/Los_Angeles falls back on Sunday 2026-11-01: this week still starts Monday 2 November."""
    tz = "America/Los_Angeles"
    _, token = person(client, tz)
    with freeze_time(local(tz, 2026, 11, 3, 9).astimezone(timezone.utc)):
        sync(client, token, [record(at=local(tz, 2026, 11, 1, 23) + timedelta(minutes=30), inputTokens=3,
                                    outputTokens=0),
                             record(at=local(tz, 2026, 11, 2, 0) + timedelta(minutes=30), inputTokens=4,
                                    outputTokens=0)])
        body = dashboard(client, token, "overview", "week")
        trends = dashboard(client, token, "trends", "week")
    assert body["thisWeek"]["totalTokens"] == 4
    assert [d["date"] for d in trends["usageOverTime"]] == ["2026-11-02", "2026-11-03"]


def test_a_sync_shows_at_once_on_the_dashboard(client):
    _, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):
        assert dashboard(client, token, "overview", "week")["thisWeek"]["totalTokens"] == 0
        sync(client, token, [record(at="2026-03-11T09:00:00Z", inputTokens=42, outputTokens=0)])
        assert dashboard(client, token, "overview", "week")["thisWeek"]["totalTokens"] == 42
        assert dashboard(client, token, "trends", "week")["usageOverTime"][-1]["tokens"] == 42


def test_each_user_sees_only_their_own_dashboard(client):
    _, mine = person(client, username="me-too")
    _, theirs = person(client, username="them")
    with freeze_time("2026-03-11T15:00:00Z"):
        sync(client, theirs, [record(at="2026-03-11T09:00:00Z")])
        assert dashboard(client, mine, "overview")["allTime"]["totalTokens"] == 0
        assert dashboard(client, theirs, "overview")["allTime"]["totalTokens"] == 1500


def test_a_time_zone_change_recounts_the_dashboard(client, runner):
    user, token = person(client)
    with freeze_time("2026-03-11T15:00:00Z"):  # Wednesday
        sync(client, token, [record(at="2026-03-09T03:00:00Z")])  # Monday 03:00 UTC = Sunday evening in LA
        assert dashboard(client, token, "overview")["thisWeek"]["totalTokens"] == 1500
        assert client.patch("/api/users/me", json={"timezone": "America/Los_Angeles"},
                            headers=auth(token)).status_code == 200
        run_jobs(runner)  # with Redis the recount is a job (in another app, as in production)
        assert dashboard(client, token, "overview")["thisWeek"]["totalTokens"] == 0
        assert date(2026, 3, 8).isoformat() in {d["date"] for d in dashboard(client, token, "trends", "all")[
            "usageOverTime"] if d["tokens"]}
