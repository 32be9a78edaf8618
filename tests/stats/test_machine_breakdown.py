"""Per-machine sums kept by ingest and the zone recount, and the breakdown that must add up to daily_rollups."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import DailyRollup, Machine, MachineDay
from burntop.pricing import Usage, cost_nanos
from burntop.stats.machines import machine_breakdown
from burntop.stats.periods import resolve
from burntop.sync.rebucket import rebucket_user
from tests.factories import auth, make_token, make_user, record

LAPTOP = "0123456789abcdef0123456789ab1a1a"
DESKTOP = "fedcba9876543210fedcba9876542b2b"
ONE = cost_nanos("claude-sonnet-4-20250514", Usage(1000, 500))  # a default test record's cost


@pytest.fixture
def user(app):
    return make_user("alice")


@pytest.fixture
def token(user):
    return make_token(user)


def sync(client, token, records):
    response = client.post("/api/sync", json={"records": records}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def machine_days() -> list[tuple]:
    db.session.expire_all()
    d = MachineDay
    return [tuple(r) for r in db.session.execute(
        select(d.machine_id, d.day, d.records, d.input_tokens, d.cache_read_tokens, d.cost_nanos)
        .order_by(d.machine_id, d.day))]


def machine_totals() -> tuple[int, int]:
    db.session.expire_all()
    return tuple(int(v) for v in db.session.execute(
        select(func.sum(MachineDay.records), func.sum(MachineDay.cache_read_tokens))).one())


def rollup_sums(user_id: int, start: date | None = None, end: date | None = None) -> dict:
    """The period's totals straight from daily_rollups, summed here independently of burntop.stats."""
    db.session.expire_all()
    r = DailyRollup
    conditions = [r.user_id == user_id] + ([r.day >= start] if start else []) + ([r.day <= end] if end else [])
    row = db.session.execute(select(func.sum(r.records), func.sum(r.input_tokens + r.output_tokens
                                                                   + r.cache_creation_tokens + r.cache_read_tokens),
                                    func.sum(r.cost_nanos)).where(*conditions)).one()
    return {"records": int(row[0] or 0), "tokens": int(row[1] or 0), "cost_nanos": int(row[2] or 0)}


def test_ingest_sums_each_machine_per_local_day_and_its_first_and_last_record(client, token):
    sync(client, token, [record("a", machineId=LAPTOP, at="2025-06-01T10:00:00Z"),
                         record("b", machineId=LAPTOP, at="2025-06-02T10:00:00Z"),
                         record("c", machineId=DESKTOP, at="2025-06-01T11:00:00Z"),
                         record("d", machineId=DESKTOP, at="2025-06-01T09:00:00Z", cacheReadTokens=7_000_000),
                         record("e", at="2025-06-01T12:00:00Z")])
    big = cost_nanos("claude-sonnet-4-20250514", Usage(1000, 500, 0, 7_000_000))
    assert machine_days() == [("", date(2025, 6, 1), 1, 1000, 0, ONE),
                              (LAPTOP, date(2025, 6, 1), 1, 1000, 0, ONE),
                              (LAPTOP, date(2025, 6, 2), 1, 1000, 0, ONE),
                              (DESKTOP, date(2025, 6, 1), 2, 2000, 7_000_000, ONE + big)]
    seen = {m.machine_id: (m.first_seen.hour, m.last_seen.day, m.name) for m in db.session.scalars(select(Machine))}
    assert seen == {"": (12, 1, None), LAPTOP: (10, 2, None), DESKTOP: (9, 1, None)}


def test_a_replayed_batch_adds_nothing_to_the_machines(client, token):
    batch = [record(f"r{i}", machineId=(LAPTOP, DESKTOP, None)[i % 3], cacheReadTokens=i) for i in range(30)]
    batch = [{k: v for k, v in r.items() if v is not None} for r in batch]
    sync(client, token, batch)
    before = machine_days()
    assert sync(client, token, batch)["recordsAdded"] == 0
    assert machine_days() == before
    assert machine_totals() == (30, sum(range(30)))


def test_an_overlapping_batch_adds_only_its_new_records_to_the_machines(client, token):
    sync(client, token, [record(f"r{i}", machineId=LAPTOP) for i in range(10)])
    # r5..r9 again, now claimed by another computer: they stay the laptop's (the record is stored once)
    sync(client, token, [record(f"r{i}", machineId=DESKTOP) for i in range(5, 15)])
    assert [(m, n) for m, _, n, *_ in machine_days()] == [(LAPTOP, 10), (DESKTOP, 5)]


def test_a_repeated_request_id_inside_one_batch_counts_once_for_its_machine(client, token):
    sync(client, token, [record("same", machineId=LAPTOP), record("same", machineId=LAPTOP, inputTokens=5)])
    assert machine_days() == [(LAPTOP, date(2025, 6, 1), 1, 1000, 0, ONE)]


def test_concurrent_overlapping_syncs_from_two_machines_add_each_record_once(app, live_server, token):
    import requests

    shared = [record(f"shared-{i}", cacheReadTokens=i) for i in range(300)]
    batches = [[{**r, "machineId": LAPTOP} for r in shared] + [record(f"l-{i}", machineId=LAPTOP) for i in range(50)],
               [{**r, "machineId": DESKTOP} for r in reversed(shared)]
               + [record(f"d-{i}", machineId=DESKTOP) for i in range(50)]]
    barrier = threading.Barrier(2)
    failures = []

    def push(slot):
        barrier.wait()
        answer = requests.post(f"{live_server}/api/sync", json={"records": batches[slot]}, headers=auth(token),
                               timeout=60)
        if answer.status_code != 200:
            failures.append(answer.text)

    for _ in range(2):  # the second round replays both batches at once
        threads = [threading.Thread(target=push, args=(slot,)) for slot in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert machine_totals() == (400, sum(range(300)))
    assert rollup_sums(db.session.scalar(select(Machine.user_id)))["records"] == 400


def test_the_machines_of_every_period_add_up_to_the_daily_rollups(client, user, token):
    today = date(2026, 11, 26)  # a Thursday
    days = [date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26)]
    batch = []
    for n, day in enumerate(days):
        for m, machine in enumerate((LAPTOP, DESKTOP, None)):
            r = record(f"{n}-{m}", at=f"{day.isoformat()}T12:00:00Z", cacheReadTokens=1000 * n + m,
                       model=("claude-sonnet-4-20250514", "gpt-5", "no-such-model")[(n + m) % 3])
            batch.append({**r, "machineId": machine} if machine else r)
    sync(client, token, batch)
    for name in ("all", "month", "week", "7d"):
        period = resolve(name, "UTC", today)
        result = machine_breakdown(user, period)
        expected = rollup_sums(user.id, period.start, period.end)
        machines = result["machines"]
        assert result["addsUp"] is True
        assert sum(m["tokens"] for m in machines) == expected["tokens"] == result["total"]["tokens"]
        assert sum(m["records"] for m in machines) == expected["records"] == result["total"]["records"]
        # each cost is rounded to a micro-dollar; addsUp compares the exact nano-dollar sums
        assert sum(m["cost"] for m in machines) == pytest.approx(expected["cost_nanos"] / 1e9, abs=3e-6)
        assert sum(m["share"] for m in machines) == pytest.approx(1.0)
    week = machine_breakdown(user, resolve("week", "UTC", today))
    assert week["total"]["records"] == 9 and week["period"] == {
        "name": "week", "label": "This week", "timeZone": "UTC", "from": "2026-11-23", "to": "2026-11-26"}


def test_labels_names_idle_machines_and_the_unknown_computer(client, user, token):
    sync(client, token, [record("a", machineId=LAPTOP, at="2026-11-02T12:00:00Z", inputTokens=10),
                         record("b", machineId=DESKTOP, at="2026-11-25T12:00:00Z", inputTokens=3000),
                         record("c", at="2026-11-25T13:00:00Z", inputTokens=500)])
    db.session.scalar(select(Machine).where(Machine.machine_id == DESKTOP)).name = "Work desktop"
    db.session.commit()
    week = machine_breakdown(user, resolve("week", "UTC", date(2026, 11, 26)))
    rows = [(m["label"], m["tokens"], m["records"], m["percentage"]) for m in week["machines"]]
    assert rows == [("Work desktop", 3500, 1, 77.8), ("Unknown computer", 1000, 1, 22.2),
                    ("Computer 1 (…1a1a)", 0, 0, 0.0)]  # the laptop was idle this week: listed with zeros
    desktop = week["machines"][0]
    assert (desktop["name"], desktop["defaultLabel"], desktop["lastSeen"]) == (
        "Work desktop", "Computer 2 (…2b2b)", "2026-11-25T12:00:00Z")
    assert all("machineId" not in m and DESKTOP not in str(m) for m in week["machines"])


def test_a_new_time_zone_moves_the_machines_days(client, user, token):
    sync(client, token, [record("a", machineId=LAPTOP, at="2025-03-02T07:30:00Z"),
                         record("b", machineId=LAPTOP, at="2025-03-02T09:00:00Z"),
                         record("c", at="2025-03-02T07:00:00Z")])
    assert [(m, d, n) for m, d, n, *_ in machine_days()] == [("", date(2025, 3, 2), 1), (LAPTOP, date(2025, 3, 2), 2)]
    user.timezone = "America/Los_Angeles"
    db.session.commit()
    rebucket_user(user.id)
    # 07:30Z and 07:00Z are the evening of 1 March in Los Angeles; 09:00Z is 01:00 on 2 March.
    assert [(m, d, n) for m, d, n, *_ in machine_days()] == [
        ("", date(2025, 3, 1), 1), (LAPTOP, date(2025, 3, 1), 1), (LAPTOP, date(2025, 3, 2), 1)]
    result = machine_breakdown(user, resolve("all", "America/Los_Angeles", date(2025, 3, 5)))
    assert result["addsUp"] and result["total"]["records"] == 3
    # a replay after the recount adds nothing
    sync(client, token, [record("a", machineId=LAPTOP, at="2025-03-02T07:30:00Z")])
    assert sum(n for _, _, n, *_ in machine_days()) == 3


def test_adds_up_says_so_when_the_machines_miss_a_record(client, user, token):
    sync(client, token, [record("a", machineId=LAPTOP), record("b", machineId=DESKTOP)])
    assert machine_breakdown(user, resolve("all", "UTC", date(2025, 6, 2)))["addsUp"] is True
    db.session.scalar(select(MachineDay).where(MachineDay.machine_id == DESKTOP)).records = 0
    db.session.commit()
    assert machine_breakdown(user, resolve("all", "UTC", date(2025, 6, 2)))["addsUp"] is False


def test_computers_are_numbered_in_the_order_burntop_met_them_and_ties_keep_that_order(client, user, token):
    from burntop.sync.ingest import ingest
    from burntop.sync.schema import RecordIn

    ids = [f"{n:032x}" for n in range(1, 12)]
    for n, machine_id in enumerate(ids):  # one batch each (more than the rate limit allows over HTTP); the later
        # ones carry older records
        ingest(user.id, [RecordIn.model_validate(record(f"r{n}", machineId=machine_id,
                                                        at=f"2025-06-{20 - n:02d}T12:00:00Z"))])
    result = machine_breakdown(user, resolve("all", "UTC", date(2025, 6, 30)))
    assert [m["label"] for m in result["machines"]] == [f"Computer {n} (…{n:04x})" for n in range(1, 12)]
