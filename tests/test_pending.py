"""Pending work (burntop.pending): recorded with its cause, cleared with its effect, swept up when lost."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, select

from burntop import jobs, pending
from burntop.extensions import db
from burntop.gamification.evaluate import sync_catalog
from burntop.models import Achievement, AchievementUnlock, DailyRollup, PendingJob
from burntop.models.types import utcnow
from burntop.redis_client import get_redis
from tests.factories import auth, make_token, make_user, record
from tests.test_sync import FIRST_SYNC


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PENDING_RETRY_AFTER": 0}  # due for the sweeper at once


def rows() -> list[tuple]:
    db.session.expire_all()
    return [(job.kind, job.key, job.attempts) for job in db.session.scalars(
        select(PendingJob).order_by(PendingJob.kind, PendingJob.key))]


def run_queued(runner) -> None:
    """With Redis, what was dispatched waits on the queue: a real worker runs it."""
    if get_redis() is not None:
        result = runner.invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output


CALLS: list[int] = []


@pending.handler("test-flaky", key=int)
def flaky(number: int) -> int:
    """Fails on its first attempt, works on the next (CALLS only sees runs in this process)."""
    CALLS.append(number)
    if db.session.get(PendingJob, ("test-flaky", str(number))).attempts == 0:
        raise RuntimeError("first try fails")
    pending.done("test-flaky", number)
    db.session.commit()
    return number * 2


def test_repeated_causes_collapse_into_one_row(app):
    user = make_user("twice")
    for _ in range(3):
        pending.record("rebucket", user.id)
    db.session.commit()
    assert rows() == [("rebucket", str(user.id), 0)]


def test_a_failed_run_stays_recorded_pushed_back_and_is_swept_up(app, runner):
    CALLS.clear()
    with freeze_time("2025-06-01T12:00:00Z") as clock:
        pending.record("test-flaky", 21)
        db.session.commit()
        with pytest.raises(RuntimeError):
            pending.run("test-flaky", "21")
        job = db.session.get(PendingJob, ("test-flaky", "21"))
        assert (job.attempts, job.last_error) == (1, "RuntimeError: first try fails")
        assert job.next_attempt_at == utcnow()  # 0 s retry-after in this test: 0 x 2 = due now
        clock.tick(1)
        assert jobs.sweep_pending_work() == 1
        run_queued(runner)
    assert rows() == []


def test_a_job_whose_work_is_done_already_does_nothing(app):
    CALLS.clear()
    assert pending.run("test-flaky", "5") is None  # nothing recorded: a duplicate or late job
    assert CALLS == []


def test_a_sync_whose_evaluation_fails_after_commit_answers_200_and_a_job_finishes_it(client, app, runner):
    token = make_token(make_user("unlucky"))
    first = client.post("/api/sync", json={"records": [record("a")]}, headers=auth(token))
    assert first.get_json()["achievements"] == ["first-sync"]
    # The evaluation of the next sync fails: the catalog rows its unlocks point at are gone.
    db.session.execute(delete(Achievement))
    db.session.commit()
    tokens = {"records": [record(f"big{i}", inputTokens=10_000_000) for i in range(11)]}  # 110M tokens
    response = client.post("/api/sync", json=tokens, headers=auth(token))
    assert response.status_code == 200
    # Nothing evaluated: no achievements, no XP gained, the level as it was (10 + 5 + 0.15 XP).
    assert response.get_json() == {"success": True, "recordsAdded": 11, "recordsSkipped": 0,
                                   "achievements": [], "leveledUp": False, "newLevel": None, "xpGained": 0,
                                   "level": FIRST_SYNC["level"],
                                   "sources": {"claude-code": {"added": 11, "skipped": 0}}}
    assert db.session.scalar(select(DailyRollup.records).where(DailyRollup.input_tokens > 10**8)) == 1 + 11
    assert [kind for kind, _, _ in rows()] == ["evaluate"]
    # Once the cause of the failure is gone, the retry unlocks what the sync earned.
    sync_catalog()
    jobs.sweep_pending_work()
    run_queued(runner)
    assert "token-millionaire" in set(db.session.scalars(select(AchievementUnlock.achievement_id)))
    assert rows() == []


def test_a_recount_waits_recorded_until_it_runs(client, app, runner):
    user = make_user("mover")
    token = make_token(user)
    client.post("/api/sync", json={"records": [record("x", at="2025-03-02T07:30:00Z")]}, headers=auth(token))
    # Recorded and cleared in one go when it runs at once; recorded for the sweeper otherwise.
    client.patch("/api/users/me", json={"timezone": "America/Los_Angeles"}, headers=auth(token))
    run_queued(runner)
    assert rows() == []
    assert db.session.scalar(select(DailyRollup.day)) == date(2025, 3, 1)


@pytest.mark.embedded
def test_without_redis_requests_sweep_now_and_then(client, app):
    CALLS.clear()
    with freeze_time(utcnow()) as clock:
        client.get("/api/health")  # a first sweep, with nothing to do
        pending.record("test-flaky", 1)
        db.session.commit()
        with pytest.raises(RuntimeError):
            pending.run("test-flaky", "1")
        client.get("/api/health")
        assert CALLS == [1]  # not a minute since the last sweep
        clock.tick(timedelta(seconds=61))
        client.get("/api/health")
    assert CALLS == [1, 1]
    assert rows() == []
