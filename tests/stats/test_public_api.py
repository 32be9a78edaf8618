"""GET /api/v1/public/<id> (spec 002) through the front door, on data stored by the real ingest."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from flask import Blueprint
from freezegun import freeze_time
from sqlalchemy import delete

from burntop.accounts.profile import rotate_public_api_id, set_public_api
from burntop.extensions import db
from burntop.models import UsageRecord
from burntop.stats.periods import day_range
from burntop.sync.ingest import ingest
from burntop.sync.schema import parse
from tests.factories import make_user, record, sign_in

NOW = "2026-01-08T17:25:24Z"  # a Thursday; 7d is 2026-01-02 .. 2026-01-08 in UTC
TOP_KEYS = ["name", "stats", "generated_at"]
STATS_KEYS = [  # spec 002's example response, in its order
    "total_events", "total_tokens", "input_tokens", "output_tokens", "avg_latency_ms", "success_rate",
    "events_by_model", "tokens_by_model", "events_by_provider", "events_by_application", "time_series",
    "sessions_count", "weekly_avg_sessions", "total_commits", "total_active_time_seconds", "total_lines_of_code",
    "cache_efficiency",
]
DAY_KEYS = ["date", "tokens", "tokens_by_model", "coding_sessions"]
CACHED = "public, max-age=300, stale-while-revalidate=600"


@pytest.fixture(autouse=True)
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


def sync(user, records, sessions=()):
    """Store records and sessions as POST /api/sync would (validation, rollups, sessions)."""
    body, problems = parse(json.dumps({"records": records, "sessions": list(sessions)}).encode())
    assert body is not None, problems
    ingest(user.id, body.records, body.sessions)


def session(session_id, started, **fields):
    return {"sessionId": session_id, "source": "claude-code", "startedAt": started, **fields}


def owner(username="alex", name="Alex Smith", timezone="UTC", enabled=True):
    user = make_user(username, name=name, timezone=timezone)
    if enabled:
        set_public_api(user, True)
    return user


def get(client, user_or_id, query="", **kwargs):
    public_id = user_or_id if isinstance(user_or_id, str) else user_or_id.public_api_id
    return client.get(f"/api/v1/public/{public_id}{query}", **kwargs)


def error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert list(body) == ["error"] and list(body["error"]) == ["code", "message"]
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def alex(app):
    user = owner()
    sync(user, [
        record("a1", at="2026-01-02T10:00:00Z", model="gpt-4", source="claude-code", inputTokens=1000,
               outputTokens=390, latencyMs=1000, success=True),
        record("a2", at="2026-01-05T10:00:00Z", model="gpt-4", source="claude-code", inputTokens=4000,
               outputTokens=1141, cacheReadTokens=2000, latencyMs=2000, success=False),
        record("a3", at="2026-01-08T09:00:00Z", model="claude-3-opus-20240229", source="claude-code",
               inputTokens=2000, outputTokens=917, cacheCreationTokens=100),
        record("old", at="2025-12-20T10:00:00Z", model="o3", source="codex", inputTokens=50, outputTokens=50),
    ], [
        session("s1", "2026-01-02T09:00:00Z", activeSeconds=3600, commits=2, linesOfCode=300),
        session("s2", "2026-01-08T08:00:00Z", activeSeconds=1200, commits=1, linesOfCode=47),
        session("s0", "2025-12-20T09:00:00Z", activeSeconds=999, commits=9, linesOfCode=999),
    ])
    return user


def test_the_whole_document_has_exactly_the_spec_keys(client, alex):
    response = get(client, alex)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert list(json.loads(response.get_data(as_text=True))) == TOP_KEYS  # spec order, not sorted
    assert list(body["stats"]) == STATS_KEYS
    assert all(list(day) == DAY_KEYS for day in body["stats"]["time_series"])
    assert body["name"] == "Alex Smith" and body["generated_at"] == NOW
    stats = body["stats"]
    assert stats["total_events"] == 3
    assert stats["input_tokens"] == 1000 + 4000 + 2000 + 2000 + 100
    assert stats["output_tokens"] == 390 + 1141 + 917
    assert stats["total_tokens"] == 11548
    assert stats["avg_latency_ms"] == 1500 and stats["success_rate"] == 50.0
    assert stats["events_by_model"] == {"gpt-4": 2, "claude-3-opus-20240229": 1}
    assert stats["tokens_by_model"] == {"gpt-4": 8531, "claude-3-opus-20240229": 3017}
    assert stats["events_by_provider"] == {"openai": 2, "anthropic": 1}
    assert stats["events_by_application"] == {"claude-code": 3}
    assert (stats["sessions_count"], stats["weekly_avg_sessions"]) == (2, 2)
    assert (stats["total_commits"], stats["total_active_time_seconds"], stats["total_lines_of_code"]) == (3, 4800, 347)
    assert stats["cache_efficiency"] == 22.0  # 2,000 cache reads of 9,100 prompt tokens (21.98)


def test_default_period_is_seven_local_days_zero_filled_and_ascending(client, alex):
    series = get(client, alex).get_json()["stats"]["time_series"]
    assert series == get(client, alex, "?period=7d").get_json()["stats"]["time_series"]
    assert [d["date"] for d in series] == [f"2026-01-0{n}" for n in range(2, 9)]
    assert [d["tokens"] for d in series] == [1390, 0, 0, 7141, 0, 0, 3017]
    assert [d["coding_sessions"] for d in series] == [1, 0, 0, 0, 0, 0, 1]
    assert series[0]["tokens_by_model"] == {"gpt-4": 1390, "claude-3-opus-20240229": 0}
    assert all(list(d["tokens_by_model"]) == ["gpt-4", "claude-3-opus-20240229"] for d in series)


@pytest.mark.parametrize("period, days", [("7d", 7), ("30d", 30), ("90d", 90)])
def test_each_period_has_one_entry_per_day(client, alex, period, days):
    stats = get(client, alex, f"?period={period}").get_json()["stats"]
    dates = [d["date"] for d in stats["time_series"]]
    expected = day_range(date(2026, 1, 8) - timedelta(days=days - 1), date(2026, 1, 8))
    assert dates == [d.isoformat() for d in expected]
    older = days > 7  # 2025-12-20 is 20 days back
    assert stats["total_events"] == 3 + older and ("o3" in stats["tokens_by_model"]) is older
    assert stats["events_by_application"] == ({"claude-code": 3, "codex": 1} if older else {"claude-code": 3})
    assert stats["sessions_count"] == 2 + older and stats["total_commits"] == 3 + 9 * older
    assert all(set(d["tokens_by_model"]) == set(stats["tokens_by_model"]) for d in stats["time_series"])
    assert stats["weekly_avg_sessions"] == {"7d": 2, "30d": 1, "90d": 0}[period]  # 3*7/30 = 0.7, 3*7/90 = 0.23


@pytest.mark.parametrize("period", ["1y", "7D", "7", "", "all", "week", "7d ", "%207d"])
def test_any_other_period_is_400_invalid_period(client, alex, period):
    message = error(get(client, alex, f"?period={period}"), 400, "invalid_period")["message"]
    assert "7d, 30d, 90d" in message


def test_a_bad_period_is_400_even_for_an_unknown_id(client, app):
    error(get(client, "0b6d9d3c-1111-4222-8333-444455556666", "?period=1y"), 400, "invalid_period")


@pytest.mark.parametrize("fields, expected_stats", [
    ("name,stats.total_tokens", ["total_tokens"]),
    ("name,stats.total_events,stats.total_tokens", ["total_events", "total_tokens"]),
])
def test_fields_pick_name_and_stats(client, alex, fields, expected_stats):
    body = get(client, alex, f"?fields={fields}").get_json()
    assert list(body) == ["name", "stats"] and list(body["stats"]) == expected_stats
    assert body["name"] == "Alex Smith" and body["stats"]["total_tokens"] == 11548


def test_repeated_fields_parameters_add_up(client, alex):
    body = get(client, alex, "?fields=name&fields=stats.total_tokens").get_json()
    assert body == {"name": "Alex Smith", "stats": {"total_tokens": 11548}}


def test_fields_time_series_only_and_all_stats(client, alex):
    whole = get(client, alex, "?period=30d").get_json()
    only_series = get(client, alex, "?period=30d&fields=stats.time_series").get_json()
    assert only_series == {"stats": {"time_series": whole["stats"]["time_series"]}}
    assert len(only_series["stats"]["time_series"]) == 30
    all_stats = get(client, alex, "?period=30d&fields=stats").get_json()
    assert all_stats == {"stats": whole["stats"]} and list(all_stats["stats"]) == STATS_KEYS


def test_unknown_fields_are_ignored_and_blank_fields_is_everything(client, alex):
    assert get(client, alex, "?fields=name,favourite_colour,stats.nope").get_json() == {"name": "Alex Smith"}
    assert get(client, alex, "?fields=nope").get_json() == {}
    assert list(get(client, alex, "?fields=").get_json()) == TOP_KEYS
    dates = get(client, alex, "?fields=stats.time_series.date").get_json()["stats"]["time_series"]
    assert dates[0] == {"date": "2026-01-02"} and len(dates) == 7


@pytest.mark.parametrize("public_id", ["0b6d9d3c-1111-4222-8333-444455556666", "None", "x" * 37, "%20"])
def test_an_unknown_id_is_404_not_found(client, alex, public_id):
    error(get(client, public_id), 404, "not_found")


def test_a_never_enabled_user_has_no_address(client, app):
    user = owner(enabled=False)
    assert user.public_api_id is None
    error(get(client, "None"), 404, "not_found")


def test_turned_off_is_404_and_on_again_answers(client, alex):
    set_public_api(alex, False)
    off = error(get(client, alex), 404, "not_found")
    assert off == error(get(client, "0b6d9d3c-1111-4222-8333-444455556666"), 404, "not_found")  # indistinguishable
    set_public_api(alex, True)
    assert get(client, alex).status_code == 200


def test_a_rotated_id_is_404_and_the_new_one_answers(client, alex):
    old = alex.public_api_id
    new = rotate_public_api_id(alex)
    error(get(client, old), 404, "not_found")
    assert get(client, new).get_json()["name"] == "Alex Smith"


def test_the_upper_case_form_of_an_id_is_not_the_id(client, alex):
    error(get(client, alex.public_api_id.upper()), 404, "not_found")


def test_a_private_profile_keeps_the_api_its_owner_turned_on(client, alex):
    alex.is_public = False
    db.session.commit()
    assert get(client, alex).status_code == 200


def test_a_user_without_a_name_is_named_by_username(client, app):
    user = owner("nameless", name=None)
    assert get(client, user, "?fields=name").get_json() == {"name": "nameless"}


def test_other_routes_and_methods_under_the_prefix_speak_lowercase(client, alex):
    error(client.get(f"/api/v1/public/{alex.public_api_id}/extra"), 404, "not_found")
    error(client.get("/api/v1/public/"), 404, "not_found")
    response = client.post(f"/api/v1/public/{alex.public_api_id}")
    error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    error(client.get("/api/no-such-route"), 404, "NOT_FOUND")  # the rest of /api keeps spec 000's codes


def test_a_nul_in_the_query_is_refused_in_lowercase_too(client, alex):
    error(get(client, alex, "?fields=name%00"), 400, "validation_error")


def test_an_unexpected_error_is_500_server_error(app, client):
    broken = Blueprint("broken_public", __name__)

    @broken.get("/api/v1/public/test/boom")
    def boom():
        raise RuntimeError("secret detail that must not leak")

    app.register_blueprint(broken)
    body = error(client.get("/api/v1/public/test/boom"), 500, "server_error")
    assert "secret" not in body["message"]


# ---- rate limits, caching, CORS

# The in-memory limit storage expires counters from a timer thread, which freezegun leaves on the real
# clock: a counter stamped with a frozen time in the past would vanish at once. Limits are tested at a
# frozen time after the real one.
LIMIT_TIME = "2099-01-01T00:00:00Z"

def test_each_id_has_its_own_rate_limit(app, client, alex, clock):
    clock.move_to(LIMIT_TIME)
    app.config["PUBLIC_API_RATE_LIMIT"] = "2 per minute"
    other = owner("bea", "Bea")
    assert [get(client, alex).status_code for _ in range(2)] == [200, 200]
    limited = get(client, alex)
    error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
    assert limited.headers["Cache-Control"] == "no-store"
    assert get(client, other).status_code == 200  # another id is counted apart
    assert get(client, alex, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 429  # whoever asks


def test_the_limit_frees_up_after_its_window(app, client, alex, clock):
    clock.move_to(LIMIT_TIME)
    app.config["PUBLIC_API_RATE_LIMIT"] = "1 per minute"
    assert get(client, alex).status_code == 200
    assert get(client, alex).status_code == 429
    if app.config["REDIS_URL"]:  # Redis expires its own counters; the frozen clock does not move it
        return
    clock.tick(61)
    assert get(client, alex).status_code == 200


def test_answers_are_publicly_cacheable_and_set_no_cookie(client, alex):
    response = get(client, alex)
    assert response.headers["Cache-Control"] == CACHED
    assert "Set-Cookie" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    assert "Cookie" in response.headers.get("Vary", "")


def test_errors_are_not_cached(client, alex):
    for response in (get(client, "0b6d9d3c-1111-4222-8333-444455556666"), get(client, alex, "?period=1d")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_signed_in_browser_gets_a_private_answer(client, alex):
    sign_in(client, make_user("viewer"))
    response = get(client, alex)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"


# ---- what is read, and whose days

def test_it_reads_the_rollups_not_the_raw_records(client, alex):
    before = get(client, alex, "?period=90d").get_json()
    db.session.execute(delete(UsageRecord))
    db.session.commit()
    assert get(client, alex, "?period=90d").get_json() == before


def test_unknown_models_and_providers_are_left_out(client, app):
    user = owner()
    sync(user, [
        record("k", at="2026-01-08T10:00:00Z", model="claude-3-opus-20240229", inputTokens=10, outputTokens=5),
        record("u1", at="2026-01-08T10:00:00Z", model="unknown", inputTokens=1000, outputTokens=1000),
        record("u2", at="2026-01-07T10:00:00Z", model="gpt-4", provider="unknown", inputTokens=1000, outputTokens=0),
        record("u3", at="2026-01-06T10:00:00Z", model="some-in-house-model", inputTokens=1000, outputTokens=0,
               latencyMs=99, success=False),  # no vendor can be told from the name: provider "unknown"
    ])
    stats = get(client, user).get_json()["stats"]
    assert (stats["total_events"], stats["total_tokens"]) == (1, 15)
    assert stats["events_by_model"] == {"claude-3-opus-20240229": 1}
    assert stats["events_by_provider"] == {"anthropic": 1}
    assert stats["avg_latency_ms"] is None and stats["success_rate"] is None
    assert [d["tokens"] for d in stats["time_series"]] == [0, 0, 0, 0, 0, 0, 15]
    assert all(d["tokens_by_model"] == {"claude-3-opus-20240229": d["tokens"]} for d in stats["time_series"])


def local_day_test(client, user, records, now, expected_dates, expected_tokens, clock):
    clock.move_to(now)
    sync(user, records)
    series = get(client, user).get_json()["stats"]["time_series"]
    assert [d["date"] for d in series] == expected_dates
    assert [d["tokens"] for d in series] == expected_tokens


def test_days_are_the_owners_days_at_utc_minus_8(client, app, clock):
    user = owner(timezone="America/Los_Angeles")  # PST, UTC-8 in January
    local_day_test(client, user, [
        record("late", at="2026-01-10T06:30:00Z", inputTokens=7, outputTokens=0),   # 9 Jan 22:30 local
        record("early", at="2026-01-03T08:30:00Z", inputTokens=3, outputTokens=0),  # 3 Jan 00:30 local
        record("before", at="2026-01-03T07:30:00Z", inputTokens=100, outputTokens=0),  # 2 Jan 23:30: outside
    ], "2026-01-10T07:00:00Z",  # 9 Jan 23:00 local: UTC's 10 January has not begun there
        [f"2026-01-0{n}" for n in range(3, 10)], [3, 0, 0, 0, 0, 0, 7], clock)


def test_days_are_the_owners_days_at_utc_plus_13(client, app, clock):
    user = owner(timezone="Pacific/Tongatapu")  # UTC+13 all year
    local_day_test(client, user, [
        record("new-day", at="2026-01-10T11:30:00Z", inputTokens=5, outputTokens=0),  # 11 Jan 00:30 local
        record("first", at="2026-01-04T11:00:00Z", inputTokens=2, outputTokens=0),    # 5 Jan 00:00 local
        record("before", at="2026-01-04T10:59:00Z", inputTokens=100, outputTokens=0),  # 4 Jan 23:59: outside
    ], "2026-01-10T12:00:00Z",  # 11 Jan 01:00 local: a day ahead of UTC
        ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-10", "2026-01-11"],
        [2, 0, 0, 0, 0, 0, 5], clock)


@pytest.mark.parametrize("now, records, first, short_or_long_day, expected", [
    # New York springs forward on 8 March 2026: a 23-hour day, 00:30 EST to 23:30 EDT.
    ("2026-03-10T16:00:00Z", [("2026-03-08T05:30:00Z", 1), ("2026-03-09T03:30:00Z", 10),
                              ("2026-03-09T04:30:00Z", 100)], "2026-03-04", 4, [0, 0, 0, 0, 11, 100, 0]),
    # and falls back on 1 November 2026: a 25-hour day, 00:30 EDT to 23:30 EST.
    ("2026-11-03T16:00:00Z", [("2026-11-01T04:30:00Z", 1), ("2026-11-02T04:30:00Z", 10),
                              ("2026-11-02T05:30:00Z", 100)], "2026-10-28", 4, [0, 0, 0, 0, 11, 100, 0]),
])
def test_the_series_across_a_dst_change(client, app, clock, now, records, first, short_or_long_day, expected):
    user = owner(timezone="America/New_York")
    clock.move_to(now)
    sync(user, [record(f"r{i}", at=at, inputTokens=tokens, outputTokens=0) for i, (at, tokens) in enumerate(records)])
    series = get(client, user).get_json()["stats"]["time_series"]
    start = date.fromisoformat(first)
    assert [d["date"] for d in series] == [(start + timedelta(days=n)).isoformat() for n in range(7)]
    assert [d["tokens"] for d in series] == expected


def test_a_session_counts_on_the_local_day_it_started(client, app):
    user = owner(timezone="Pacific/Tongatapu")
    sync(user, [], [session("late", "2026-01-07T11:30:00Z", commits=1)])  # 8 Jan 00:30 local
    series = get(client, user).get_json()["stats"]["time_series"]
    assert series[-1] == {"date": "2026-01-09", "tokens": 0, "tokens_by_model": {}, "coding_sessions": 0}
    assert series[-2]["date"] == "2026-01-08" and series[-2]["coding_sessions"] == 1


# ---- Settings -> Public API, end to end

def test_settings_turn_it_on_show_a_working_address_rotate_and_turn_it_off(client, app):
    user = owner(enabled=False)
    sync(user, [record("x", at="2026-01-08T10:00:00Z", inputTokens=1, outputTokens=1)])
    sign_in(client, user)

    def settings(action):
        page = client.get("/settings/public-api").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        return client.post("/settings/public-api", data={"csrf_token": token, "action": action},
                           follow_redirects=True).get_data(as_text=True)

    def address(page):
        url = re.search(r'value="(http://testserver/api/v1/public/[0-9a-f-]{36})"', page)[1]
        assert f"curl &#34;{url}?period=7d&amp;fields=name,stats.total_tokens&#34;" in page  # the example request
        return url.removeprefix("http://testserver")

    page = settings("enable")
    first = address(page)
    anonymous = app.test_client()
    assert anonymous.get(first + "?period=7d&fields=name,stats.total_tokens").get_json() == {
        "name": "Alex Smith", "stats": {"total_tokens": 2}}
    second = address(settings("rotate"))
    assert second != first
    error(anonymous.get(first), 404, "not_found")
    assert anonymous.get(second).status_code == 200
    settings("disable")
    error(anonymous.get(second), 404, "not_found")


def test_settings_name_the_address_the_app_is_served_on(app, client):
    app.config["BURNTOP_BASE_URL"] = None
    user = owner()
    sign_in(client, user)
    client.set_cookie("session", client.get_cookie("session").value, domain="burntop.example")
    page = client.get("/settings/public-api", base_url="https://burntop.example:8443").get_data(as_text=True)
    assert f'value="https://burntop.example:8443/api/v1/public/{user.public_api_id}"' in page


@pytest.mark.parametrize("zone, first_moment, last_moment, now", [
    # UTC+14: local midnight of the first day is 10:00 UTC the day before.
    ("Pacific/Kiritimati", "2026-01-01T10:00:00Z", "2026-01-08T09:59:00Z", "2026-01-08T09:59:30Z"),
    # UTC-12: the last local minute of today is 11:59 UTC tomorrow.
    ("Etc/GMT+12", "2026-01-02T12:00:00Z", "2026-01-09T11:59:00Z", "2026-01-09T11:59:30Z"),
])
def test_sessions_at_the_edges_of_the_period_in_the_farthest_zones(client, app, clock, zone, first_moment,
                                                                   last_moment, now):
    clock.move_to(now)
    user = owner(timezone=zone)
    sync(user, [], [session("first", first_moment), session("last", last_moment)])
    stats = get(client, user).get_json()["stats"]
    assert stats["time_series"][-1]["date"] == "2026-01-08" and stats["sessions_count"] == 2
    assert [d["coding_sessions"] for d in stats["time_series"]] == [1, 0, 0, 0, 0, 0, 1]
