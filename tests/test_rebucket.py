"""A new time zone moves a user's days: rollups and the weekday/hour table are recounted."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from burntop.extensions import db
from burntop.models import DailyRollup, UsageHour, UsageRecord
from burntop.sync.rebucket import rebucket_user
from tests.factories import auth, make_token, make_user, record


def run_jobs(runner) -> None:
    """With Redis the recount is an RQ job: run a real worker until the queue is empty."""
    from burntop.redis_client import get_redis

    if get_redis() is not None:
        result = runner.invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output


def sync(client, token, records):
    response = client.post("/api/sync", json={"records": records}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def days() -> list[tuple]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(DailyRollup.day, DailyRollup.records, DailyRollup.input_tokens).order_by(DailyRollup.day)).all()]


def hours() -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(UsageHour.weekday, UsageHour.hour, UsageHour.records).order_by(UsageHour.weekday, UsageHour.hour))]


BATCH = [record("a", at="2025-03-02T07:30:00Z"), record("b", at="2025-03-02T09:00:00Z"),
         record("c", at="2025-03-03T20:00:00Z")]


def test_changing_the_time_zone_recounts_days_and_hours(client, app, runner):
    token = make_token(make_user("mover"))
    sync(client, token, BATCH)
    assert days() == [(date(2025, 3, 2), 2, 2000), (date(2025, 3, 3), 1, 1000)]
    response = client.patch("/api/users/me", json={"timezone": "America/Los_Angeles"}, headers=auth(token))
    assert response.status_code == 200
    run_jobs(runner)
    # 07:30Z is 23:30 on 1 March in Los Angeles; 09:00Z is 01:00 on 2 March.
    assert days() == [(date(2025, 3, 1), 1, 1000), (date(2025, 3, 2), 1, 1000), (date(2025, 3, 3), 1, 1000)]
    assert hours() == [(0, 12, 1), (5, 23, 1), (6, 1, 1)]
    assert sorted(db.session.scalars(select(UsageRecord.day))) == [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]


def test_after_a_recount_syncs_use_the_new_zone_and_replays_add_nothing(client, app, runner):
    user = make_user("traveller")
    token = make_token(user)
    sync(client, token, BATCH)
    client.patch("/api/users/me", json={"timezone": "Pacific/Tongatapu"}, headers=auth(token))
    run_jobs(runner)
    assert sync(client, token, BATCH)["recordsAdded"] == 0
    sync(client, token, [record("d", at="2025-03-05T11:30:00Z")])  # 00:30 on 6 March, UTC+13
    assert days()[-1] == (date(2025, 3, 6), 1, 1000)
    assert db.session.scalar(select(func.sum(DailyRollup.records))) == 4
    assert db.session.scalar(select(func.sum(UsageHour.records))) == 4


def test_a_recount_in_the_same_zone_changes_nothing(client, app):
    user = make_user("stayer", timezone="Europe/Berlin")
    sync(client, make_token(user), BATCH)
    before = days(), hours()
    assert rebucket_user(user.id) == 0
    assert (days(), hours()) == before


def test_a_recount_moves_coding_sessions_to_their_new_local_day(client, app, runner):
    from burntop.models import CodingSession

    token = make_token(make_user("session-mover"))
    session = {"sessionId": "s1", "source": "claude-code", "startedAt": "2025-03-02T07:30:00Z",
               "endedAt": "2025-03-02T08:00:00Z", "activeSeconds": 1800}
    response = client.post("/api/sync", json={"records": BATCH, "sessions": [session]}, headers=auth(token))
    assert response.status_code == 200
    assert db.session.scalar(select(CodingSession.day)) == date(2025, 3, 2)
    client.patch("/api/users/me", json={"timezone": "America/Los_Angeles"}, headers=auth(token))
    run_jobs(runner)
    db.session.expire_all()
    assert db.session.scalar(select(CodingSession.day)) == date(2025, 3, 1)  # 23:30 on 1 March in LA
