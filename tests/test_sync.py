"""POST /api/sync: auth, dedupe, replay, atomic validation, limits, rollup days, server-side cost."""
from __future__ import annotations

import json
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import CodingSession, DailyRollup, UsageRecord
from burntop.pricing import Usage, cost_nanos
from tests.factories import auth, make_token, make_user, record


@pytest.fixture
def token(app):
    return make_token(make_user("alice"))


def sync(client, token, records, **extra):
    return client.post("/api/sync", json={"records": records, **extra}, headers=auth(token))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def rollup_totals() -> dict:
    db.session.expire_all()
    r = DailyRollup
    row = db.session.execute(select(func.sum(r.records), func.sum(r.input_tokens), func.sum(r.output_tokens),
                                    func.sum(r.cache_creation_tokens), func.sum(r.cache_read_tokens),
                                    func.sum(r.cost_nanos))).one()
    return dict(zip(("records", "input", "output", "cache_creation", "cache_read", "cost_nanos"), row))


# spec 000's fields, then what the CLI shows: 10 (First Sync) + 5 (one day) + 0.15 (1,500 tokens) XP
FIRST_SYNC = {"success": True, "recordsAdded": 1, "recordsSkipped": 0, "achievements": ["first-sync"],
              "leveledUp": False, "newLevel": None, "xpGained": 15.15,
              "level": {"level": 1, "title": "Prompt Rookie", "currentXp": 15.15, "xpToNextLevel": 34.85,
                        "totalXpForNextLevel": 50, "progress": 0.3},
              "sources": {"claude-code": {"added": 1, "skipped": 0}}}


def test_first_sync_answers_with_the_spec_shape(client, token):
    response = sync(client, token, [record("req_abc123")])
    assert response.status_code == 200
    assert response.get_json() == FIRST_SYNC
    replay = sync(client, token, [record("req_abc123")]).get_json()
    assert (replay["achievements"], replay["xpGained"], replay["level"]["currentXp"]) == ([], 0, 15.15)


def test_the_answer_splits_added_and_skipped_by_source(client, token):
    sync(client, token, [record("c1")])
    batch = [record("c1"), record("c2"), record("x1", source="codex"), record("x1", source="codex"),
             record("g1", source="gemini-cli")]
    answer = sync(client, token, batch).get_json()
    # c1 is stored already and x1 repeats inside the batch: each counts as skipped for its own source
    assert (answer["recordsAdded"], answer["recordsSkipped"]) == (3, 2)
    assert answer["sources"] == {"claude-code": {"added": 1, "skipped": 1}, "codex": {"added": 1, "skipped": 1},
                                 "gemini-cli": {"added": 1, "skipped": 0}}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer bt_wrong"}, {"Authorization": "Basic abc"},
                                     {"X-API-Key": "nope"}])
def test_sync_needs_a_valid_token(client, headers):
    response = client.post("/api/sync", json={"records": [record()]}, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_x_api_key_header_is_accepted(client, token):
    response = client.post("/api/sync", json={"records": [record("by-key")]}, headers={"X-API-Key": token})
    assert response.status_code == 200
    assert response.get_json() == FIRST_SYNC
    assert db.session.scalar(select(UsageRecord.request_id)) == "by-key"


def test_replaying_a_batch_changes_nothing(client, token):
    batch = [record(f"r{i}", cacheReadTokens=10 * i) for i in range(50)]
    first = sync(client, token, batch).get_json()
    before = rollup_totals()
    replay = sync(client, token, batch).get_json()
    assert (first["recordsAdded"], first["recordsSkipped"]) == (50, 0)
    assert (replay["recordsAdded"], replay["recordsSkipped"]) == (0, 50)
    assert count(UsageRecord) == 50
    assert rollup_totals() == before


def test_overlapping_batch_adds_only_new_records(client, token):
    sync(client, token, [record(f"r{i}") for i in range(10)])
    body = sync(client, token, [record(f"r{i}") for i in range(5, 15)]).get_json()
    assert (body["recordsAdded"], body["recordsSkipped"]) == (5, 5)
    assert rollup_totals()["records"] == 15
    assert rollup_totals()["input"] == 15 * 1000


def test_a_repeated_request_id_inside_one_batch_counts_once(client, token):
    body = sync(client, token, [record("same"), record("same", inputTokens=5)]).get_json()
    assert (body["recordsAdded"], body["recordsSkipped"]) == (1, 1)
    assert rollup_totals()["input"] == 1000


def test_request_ids_are_per_user(client, app):
    alice, bob = make_token(make_user("alice")), make_token(make_user("bob"))
    assert sync(client, alice, [record("shared")]).get_json()["recordsAdded"] == 1
    assert sync(client, bob, [record("shared")]).get_json()["recordsAdded"] == 1


def test_cost_is_computed_on_the_server_and_a_client_cost_is_ignored(client, token):
    r = record("c1", inputTokens=1234, outputTokens=567, cacheCreationTokens=8900, cacheReadTokens=45678,
               costUSD=999.0, cost=999.0)
    sync(client, token, [r])
    stored = db.session.scalar(select(UsageRecord))
    expected = cost_nanos("claude-sonnet-4-20250514", Usage(1234, 567, 8900, 45678))
    # Sonnet 4: $3 in, $15 out, $3.75 cache write, $0.30 cache read per million tokens.
    assert expected == 1234 * 3000 + 567 * 15000 + 8900 * 3750 + 45678 * 300
    assert stored.cost_nanos == expected and stored.priced
    assert rollup_totals()["cost_nanos"] == expected


def test_unknown_model_costs_nothing_and_is_counted_unpriced(client, token):
    sync(client, token, [record("u1", model="totally-new-model-9000")])
    rollup = db.session.scalar(select(DailyRollup))
    assert (rollup.cost_nanos, rollup.unpriced_records, rollup.provider) == (0, 1, "unknown")


def test_optional_fields_are_stored(client, token):
    r = record("o1", provider="anthropic", reasoningTokens=100, machineId="m-1", sessionId="s-1",
               project="a1b2c3", latencyMs=1500, success=False, cacheCreationTokens=10, cacheCreation1hTokens=4)
    assert sync(client, token, [r]).status_code == 200
    stored = db.session.scalar(select(UsageRecord))
    assert (stored.reasoning_tokens, stored.machine_id, stored.session_id, stored.project) == (100, "m-1", "s-1", "a1b2c3")
    assert (stored.latency_ms, stored.success, stored.cache_creation_1h_tokens) == (1500, False, 4)
    rollup = db.session.scalar(select(DailyRollup))
    assert (rollup.latency_ms_sum, rollup.latency_count, rollup.outcome_count, rollup.success_count) == (1500, 1, 1, 0)


BAD_RECORDS = [
    ({"inputTokens": -1}, "inputTokens"),
    ({"inputTokens": "10"}, "inputTokens"),
    ({"inputTokens": 1.5}, "inputTokens"),
    ({"outputTokens": True}, "outputTokens"),
    ({"cacheReadTokens": 10_000_001}, "cacheReadTokens"),
    ({"outputTokens": 2**53}, "outputTokens"),
    ({"timestamp": "2025-06-01T12:00:00"}, "timestamp"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"timestamp": 1748779200}, "timestamp"),  # Unix time: ISO-8601 strings only
    ({"timestamp": "1748779200"}, "timestamp"),
    ({"timestamp": "2025-06-01"}, "timestamp"),
    ({"timestamp": "2099-01-01T00:00:00Z"}, "timestamp"),
    ({"timestamp": "2019-12-31T23:59:59Z"}, "timestamp"),
    ({"model": ""}, "model"),
    ({"model": "m" * 201}, "model"),
    ({"requestId": "r" * 201}, "requestId"),
    ({"source": "Claude Code"}, "source"),
    ({"reasoningTokens": 600}, "reasoningTokens"),
    ({"cacheCreation1hTokens": 1}, "cacheCreation1hTokens"),
    ({"latencyMs": -5}, "latencyMs"),
    ({"success": "yes"}, "success"),
]


@pytest.mark.parametrize("override,field", BAD_RECORDS)
def test_one_bad_record_rejects_the_whole_batch(client, token, override, field):
    batch = [record("good-1"), record("bad", **override), record("good-2")]
    response = sync(client, token, batch)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {(d["index"], d["field"]) for d in error["details"]} == {(1, field)}
    assert count(UsageRecord) == 0 and count(DailyRollup) == 0


def test_every_bad_record_is_listed_with_its_reason(client, token):
    batch = [record("a", inputTokens=-1), record("b"), record("c", timestamp="nope")]
    missing = record("d")
    del missing["model"]
    error = sync(client, token, batch + [missing]).get_json()["error"]
    assert sorted(d["index"] for d in error["details"]) == [0, 2, 3]
    assert all(d["reason"] for d in error["details"])
    assert error["message"] == "3 invalid items; nothing was stored."
    one = sync(client, token, [record("e", inputTokens=-1)]).get_json()["error"]
    assert one["message"] == "1 invalid item; nothing was stored."


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"records": "x"}', b"{}", b'{"records": [1]}'])
def test_malformed_bodies_are_400(client, token, body):
    response = client.post("/api/sync", data=body, headers={**auth(token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_body_that_is_not_json_typed_is_415(client, token):
    response = client.post("/api/sync", data="records", headers={**auth(token), "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "error" in response.get_json()


def test_more_than_10000_records_is_413_and_stores_nothing(client, token):
    response = sync(client, token, [record(f"r{i}") for i in range(10_001)])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert count(UsageRecord) == 0


def session(session_id: str, started: str = "2025-06-01T12:00:00Z") -> dict:
    return {"sessionId": session_id, "source": "claude-code", "startedAt": started}


def test_more_than_10000_sessions_is_413_and_stores_nothing(client, token):
    response = sync(client, token, [record("r")], sessions=[session(f"s{i}") for i in range(10_001)])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert count(UsageRecord) == 0 and count(CodingSession) == 0


def test_exactly_10000_sessions_are_accepted(client, token):
    assert sync(client, token, [], sessions=[session(f"s{i}") for i in range(10_000)]).status_code == 200
    assert count(CodingSession) == 10_000


def test_timestamps_may_be_at_most_one_day_ahead(client, token):
    from freezegun import freeze_time

    with freeze_time("2025-06-01T12:00:00Z"):
        ok = sync(client, token, [record("in-a-day", at="2025-06-02T12:00:00Z")],
                  sessions=[session("s-ok", "2025-06-02T12:00:00Z")])
        assert ok.status_code == 200 and ok.get_json()["recordsAdded"] == 1
        late = sync(client, token, [record("too-late", at="2025-06-02T12:00:01Z")])
        assert late.status_code == 400
        assert late.get_json()["error"]["details"] == [{"list": "records", "index": 0, "field": "timestamp",
                                                        "reason": "timestamp is more than one day in the future"}]
        late_session = sync(client, token, [], sessions=[session("s-late", "2025-06-02T12:00:01Z")])
        assert late_session.get_json()["error"]["details"][0]["field"] == "startedAt"


def test_exactly_10000_records_is_accepted(client, token):
    body = sync(client, token, [record(f"r{i}") for i in range(10_000)]).get_json()
    assert body["recordsAdded"] == 10_000


def test_a_body_over_10_mb_is_413(client, token):
    padding = "x" * (10 * 1024 * 1024)
    response = client.post("/api/sync", data=json.dumps({"records": [], "pad": padding}),
                           headers={**auth(token), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_the_eleventh_sync_in_a_minute_is_429_with_retry_after(client, token):
    for _ in range(10):
        assert sync(client, token, []).status_code == 200
    response = sync(client, token, [record()])
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(response.headers["Retry-After"]) > 0
    assert count(UsageRecord) == 0


def test_the_rate_limit_is_per_user(client, token):
    for _ in range(10):
        sync(client, token, [])
    other = make_token(make_user("bob"))
    assert sync(client, other, []).status_code == 200


@pytest.mark.parametrize("tz,timestamp,expected_day", [
    ("America/Los_Angeles", "2025-03-02T07:59:59Z", date(2025, 3, 1)),   # 23:59:59 the day before, UTC-8
    ("America/Los_Angeles", "2025-03-02T08:00:00Z", date(2025, 3, 2)),
    ("Etc/GMT+8", "2025-07-02T07:30:00Z", date(2025, 7, 1)),             # fixed UTC-8 all year
    ("Pacific/Tongatapu", "2025-03-01T10:59:59Z", date(2025, 3, 1)),     # UTC+13: 23:59:59
    ("Pacific/Tongatapu", "2025-03-01T11:00:00Z", date(2025, 3, 2)),
    ("Pacific/Auckland", "2025-01-15T11:30:00Z", date(2025, 1, 16)),     # NZDT, UTC+13
    ("UTC", "2025-03-01T23:59:59Z", date(2025, 3, 1)),
])
def test_rollups_land_on_the_users_local_day(client, app, tz, timestamp, expected_day):
    token = make_token(make_user("zoned", timezone=tz))
    sync(client, token, [record("z", at=timestamp)])
    assert db.session.scalar(select(DailyRollup.day)) == expected_day
    assert db.session.scalar(select(UsageRecord.day)) == expected_day


def test_a_timestamp_with_an_offset_is_read_in_that_offset(client, app):
    token = make_token(make_user("tokyo", timezone="Asia/Tokyo"))
    sync(client, token, [record("o", at="2025-05-01T23:30:00-08:00")])  # 2025-05-02 07:30 UTC, 16:30 Tokyo
    assert db.session.scalar(select(DailyRollup.day)) == date(2025, 5, 2)


def test_rollups_group_by_day_source_and_model(client, token):
    batch = [record("a", at="2025-06-01T10:00:00Z"), record("b", at="2025-06-01T11:00:00Z"),
             record("c", at="2025-06-02T10:00:00Z"), record("d", at="2025-06-01T10:00:00Z", source="codex", model="gpt-5")]
    sync(client, token, batch)
    rows = db.session.execute(select(DailyRollup.day, DailyRollup.source, DailyRollup.model, DailyRollup.records)
                              .order_by(DailyRollup.day, DailyRollup.source)).all()
    assert [tuple(r) for r in rows] == [
        (date(2025, 6, 1), "claude-code", "claude-sonnet-4-20250514", 2),
        (date(2025, 6, 1), "codex", "gpt-5", 1),
        (date(2025, 6, 2), "claude-code", "claude-sonnet-4-20250514", 1),
    ]


def test_sessions_are_upserted_and_replays_do_not_regress_them(client, token):
    session = {"sessionId": "s1", "source": "claude-code", "startedAt": "2025-06-01T10:00:00Z",
               "endedAt": "2025-06-01T10:30:00Z", "activeSeconds": 1200, "commits": 1, "linesOfCode": 40}
    grown = {**session, "endedAt": "2025-06-01T11:00:00Z", "activeSeconds": 2400, "commits": 3, "linesOfCode": 90}
    sync(client, token, [], sessions=[session])
    sync(client, token, [], sessions=[grown])
    sync(client, token, [], sessions=[session])  # an old batch replayed late
    stored = db.session.scalar(select(CodingSession))
    assert (stored.active_seconds, stored.commits, stored.lines_of_code) == (2400, 3, 90)
    assert stored.ended_at.isoformat() == "2025-06-01T11:00:00+00:00"
    assert count(CodingSession) == 1


def test_a_bad_session_rejects_the_batch(client, token):
    bad = {"sessionId": "s1", "source": "claude-code", "startedAt": "2025-06-01T10:00:00Z",
           "endedAt": "2025-06-01T09:00:00Z"}
    response = sync(client, token, [record()], sessions=[bad])
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == [
        {"list": "sessions", "index": 0, "field": "endedAt", "reason": "endedAt is before startedAt"}]
    assert count(UsageRecord) == 0


def test_concurrent_overlapping_syncs_from_two_machines_never_double_count(app, live_server, token):
    import requests

    shared = [record(f"shared-{i}", cacheReadTokens=i) for i in range(400)]
    batches = [shared + [record(f"laptop-{i}") for i in range(100)],
               list(reversed(shared)) + [record(f"desktop-{i}") for i in range(100)]]
    barrier = threading.Barrier(2)
    results = [None, None]

    def push(slot):
        barrier.wait()
        results[slot] = requests.post(f"{live_server}/api/sync", json={"records": batches[slot]},
                                      headers=auth(token), timeout=60).json()

    for _ in range(2):  # a second round replays everything concurrently
        threads = [threading.Thread(target=push, args=(slot,)) for slot in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert count(UsageRecord) == 600
    totals = rollup_totals()
    assert totals["records"] == 600
    assert totals["cache_read"] == sum(range(400))
    assert all(r["success"] for r in results)


def test_concurrent_first_round_splits_the_shared_records(app, live_server, token):
    import requests

    shared = [record(f"s-{i}") for i in range(300)]
    barrier = threading.Barrier(2)
    added = []

    def push(batch):
        barrier.wait()
        added.append(requests.post(f"{live_server}/api/sync", json={"records": batch},
                                   headers=auth(token), timeout=60).json()["recordsAdded"])

    threads = [threading.Thread(target=push, args=(b,)) for b in (shared, shared[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(added) == 300
    assert rollup_totals()["records"] == 300


def test_usage_by_local_weekday_and_hour_is_kept_once(client, app):
    from burntop.models import UsageHour

    token = make_token(make_user("night-owl", timezone="America/Los_Angeles"))
    batch = [record("h1", at="2025-03-02T09:30:00Z"), record("h2", at="2025-03-02T09:45:00Z"),  # Sun 01:30 PST
             record("h3", at="2025-03-03T20:00:00Z")]                                           # Mon 12:00
    sync(client, token, batch)
    sync(client, token, batch)
    db.session.expire_all()
    rows = db.session.execute(select(UsageHour.weekday, UsageHour.hour, UsageHour.records, UsageHour.tokens)
                              .order_by(UsageHour.weekday)).all()
    assert [tuple(r) for r in rows] == [(0, 12, 1, 1500), (6, 1, 2, 3000)]


def test_control_characters_are_refused_not_a_server_error(client, token):
    response = sync(client, token, [record("nul\x00id"), record("ok", model="claude\x07")])
    assert response.status_code == 400
    assert {(d["index"], d["field"]) for d in response.get_json()["error"]["details"]} == {(0, "requestId"), (1, "model")}


def test_a_session_twice_in_one_batch_keeps_the_largest_values(client, token):
    big = {"sessionId": "s1", "source": "claude-code", "startedAt": "2025-06-01T10:00:00Z",
           "endedAt": "2025-06-01T11:00:00Z", "activeSeconds": 900, "commits": 5, "linesOfCode": 40}
    small = {**big, "startedAt": "2025-06-01T10:30:00Z", "endedAt": "2025-06-01T10:40:00Z", "activeSeconds": 60,
             "commits": 1, "linesOfCode": 2}
    sync(client, token, [], sessions=[big, small])
    stored = db.session.scalar(select(CodingSession))
    assert (stored.active_seconds, stored.commits, stored.lines_of_code) == (900, 5, 40)
    assert stored.started_at.isoformat() == "2025-06-01T10:00:00+00:00"
    assert stored.ended_at.isoformat() == "2025-06-01T11:00:00+00:00"
