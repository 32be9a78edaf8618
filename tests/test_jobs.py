"""Jobs: in-process without Redis, on a real RQ worker with it, and the periodic schedule."""
from __future__ import annotations

import pytest
from burntop import jobs
from burntop.redis_client import get_redis
from burntop.worker import build_cron
from tests.factories import auth, make_token, make_user, record


@pytest.mark.embedded
def test_without_redis_jobs_run_in_process(app):
    totals = jobs.enqueue(jobs.refresh_global_totals)
    assert totals["responses"] == 0


@pytest.mark.redis
def test_a_real_worker_runs_enqueued_jobs(app, client, runner):
    token = make_token(make_user("alice"))
    client.post("/api/sync", json={"records": [record("a"), record("b")]}, headers=auth(token))
    job = jobs.enqueue(jobs.refresh_global_totals)
    assert job.get_status() == "queued"
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value()["responses"] == 2


@pytest.mark.redis
def test_the_cron_scheduler_registers_every_periodic_job(app):
    scheduler = build_cron(get_redis())
    registered = {(j.func, j.queue_name, j.interval, j.cron) for j in scheduler.get_jobs()}
    assert registered == {(p.func, jobs.queue_name(p.queue), p.interval, p.cron) for p in jobs.SCHEDULE}
    due = scheduler.enqueue_jobs()  # interval jobs are due as soon as the scheduler starts
    assert len(due) == sum(1 for p in jobs.SCHEDULE if p.interval)
    queue = jobs.get_queue()
    assert queue.count == len(due)
    queue.empty()


@pytest.mark.embedded
def test_worker_without_redis_says_why(app, runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


@pytest.mark.embedded
def test_sign_in_codes_are_purged_by_the_daily_job(app):
    from datetime import timedelta

    from burntop.extensions import db
    from burntop.models import EmailCode
    from burntop.models.types import utcnow

    now = utcnow()
    for age in (timedelta(days=2), timedelta(minutes=1)):
        db.session.add(EmailCode(email="a@example.com", code_hash="x" * 64, ip_hash="y" * 64,
                                 expires_at=now - age + timedelta(minutes=10), created_at=now - age))
    db.session.commit()
    assert jobs.enqueue(jobs.purge_expired)["codes"] == 1
    assert db.session.query(EmailCode).count() == 1


@pytest.mark.redis
def test_only_the_scheduler_holding_the_lock_enqueues(app):
    first, second = build_cron(get_redis()), build_cron(get_redis())
    interval_jobs = sum(1 for p in jobs.SCHEDULE if p.interval)
    assert len(first.enqueue_jobs()) == interval_jobs
    assert second.enqueue_jobs() == []  # a standby: the periodic jobs are not enqueued twice
    queue = jobs.get_queue()
    assert queue.count == interval_jobs
    first.release_lock()  # as a scheduler does when it stops
    assert len(second.enqueue_jobs()) == interval_jobs
    assert first.enqueue_jobs() == []
    queue.empty()


@pytest.mark.redis
def test_cron_job_history_keys_carry_the_prefix(app):
    prefix = app.config["REDIS_KEY_PREFIX"]
    scheduler = build_cron(get_redis())
    scheduler.enqueue_jobs()
    history = {key.decode() for key in get_redis().scan_iter("rq:cron_job:*")}
    assert f"rq:cron_job:{prefix}:burntop.jobs.refresh_global_totals:jobs" in history
    scheduler.release_lock()
    jobs.get_queue().empty()
