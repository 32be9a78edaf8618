"""Work whose loss would leave data wrong: recorded with its cause, run by a job, swept up when lost.

A kind of work (a recount, a snapshot, a notification) uses it in four places:

    @pending.handler("rebucket", key=int)
    def rebucket_user(user_id: int): ...   # idempotent; calls pending.done("rebucket", user_id) in the
                                           # transaction of its effect, under a lock every cause also takes
    pending.record("rebucket", user_id)    # in the transaction of the cause, before its commit
    pending.dispatch("rebucket", user_id)  # after that commit

- record() upserts one row per (kind, key), so repeated causes collapse into one run.
- dispatch() enqueues run(kind, key) on RQ with retries, or runs it right here without REDIS_URL. When
  Redis is down it only logs: the row waits for the sweeper. It never raises.
- done() deletes the row in the handler's own transaction, so the row goes exactly when the work is
  committed. Because it runs under a lock every cause also takes (per-user work: the user's row lock), a
  cause committing meanwhile waits for that lock and then records a fresh row: it is never wiped out.
- sweep(), a periodic job in burntop.jobs.SCHEDULE, dispatches rows whose next attempt is due: work never
  queued (Redis was down), lost (a worker killed mid-job) or failed. Each attempt pushes the next one
  further out. Without Redis it runs them in this process, at most once a minute, after a request.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import delete, select, update

from burntop.database import insert
from burntop.extensions import db
from burntop.models import PendingJob
from burntop.models.types import utcnow
from burntop.redis_client import get_redis, redis_failed, usable_redis

log = logging.getLogger(__name__)

HANDLERS: dict[str, tuple[Callable, type]] = {}
RQ_RETRY = Retry(max=3, interval=[10, 60, 300])
MAX_BACKOFF = 3600  # seconds between attempts, at most
SWEEP_BATCH = 500
EMBEDDED_SWEEP_EVERY = 60  # seconds


def handler(kind: str, key: type = str) -> Callable:
    """Register func as the one that does `kind` work; its key is stored as text and given back as `key`."""
    def register(func: Callable) -> Callable:
        HANDLERS[kind] = (func, key)
        return func
    return register


def _retry_after() -> int:
    return current_app.config["PENDING_RETRY_AFTER"]


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(_retry_after() * 2 ** attempts, MAX_BACKOFF))


def record(kind: str, key) -> None:
    """Record work in the current transaction; the sweeper dispatches it if nothing else does in time."""
    now = utcnow()
    stmt = insert(PendingJob.__table__).values(kind=kind, key=str(key), attempts=0, created_at=now,
                                               next_attempt_at=now + _backoff(0))
    db.session.execute(stmt.on_conflict_do_update(index_elements=["kind", "key"], set_={
        "attempts": 0, "last_error": None, "next_attempt_at": stmt.excluded.next_attempt_at}))


def done(kind: str, key) -> None:
    """Clear the work in the transaction of its effect (see the module docstring for the lock it needs)."""
    db.session.execute(delete(PendingJob).where(PendingJob.kind == kind, PendingJob.key == str(key)))


def is_pending(kind: str, key) -> bool:
    return db.session.scalar(select(PendingJob.kind).where(PendingJob.kind == kind,
                                                           PendingJob.key == str(key))) is not None


def dispatch(kind: str, key) -> None:
    """After the commit that recorded it: queue the work, or run it here without Redis. Never raises."""
    if get_redis() is None:
        try:
            run(kind, str(key))
        except Exception:
            log.exception("pending %s:%s failed; it stays recorded and will be retried", kind, key)
        return
    client = usable_redis()
    if client is None:
        log.info("pending %s:%s not queued (Redis is down); the sweeper will queue it", kind, key)
        return
    from burntop.jobs import get_queue

    try:
        get_queue(connection=client).enqueue(run, kind, str(key), retry=RQ_RETRY, description=f"{kind}:{key}")
    except RedisError as error:
        redis_failed(error, f"queueing {kind}:{key}")


def run(kind: str, key: str):
    """The job: do the work if it is still pending (a duplicate or late job finds nothing to do)."""
    func, key_type = HANDLERS[kind]
    if not is_pending(kind, key):
        db.session.rollback()
        return None
    try:
        return func(key_type(key))
    except BaseException as error:
        db.session.rollback()
        _failed(kind, key, error)
        raise


def _failed(kind: str, key: str, error: BaseException) -> None:
    try:
        row = db.session.get(PendingJob, (kind, key))
        if row is not None:
            row.attempts += 1
            row.next_attempt_at = utcnow() + _backoff(row.attempts)
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of pending %s:%s", kind, key)


def sweep() -> int:
    """Dispatch every pending work whose next attempt is due; returns how many."""
    now = utcnow()
    due = db.session.execute(select(PendingJob.kind, PendingJob.key, PendingJob.attempts)
                             .where(PendingJob.next_attempt_at <= now)
                             .order_by(PendingJob.next_attempt_at).limit(SWEEP_BATCH)).all()
    for kind, key, attempts in due:
        db.session.execute(update(PendingJob).where(PendingJob.kind == kind, PendingJob.key == key).values(
            attempts=attempts + 1, next_attempt_at=now + _backoff(attempts + 1)))
    db.session.commit()
    for kind, key, attempts in due:
        if kind not in HANDLERS:
            log.error("pending %s:%s has no handler in this version; left as it is", kind, key)
            continue
        log.info("sweep: dispatching pending %s:%s (attempt %d)", kind, key, attempts + 1)
        dispatch(kind, key)
    return len(due)


def init_app(app: Flask) -> None:
    """Without Redis there is no worker to run the periodic sweep: requests run it now and then."""
    if app.config.get("REDIS_URL"):
        return
    from burntop.jobs import after_requests_every

    after_requests_every(app, EMBEDDED_SWEEP_EVERY, sweep, "sweeping pending work")
