"""Background jobs: the one schedule list of periodic jobs, and enqueueing that works without Redis."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app
from rq import Queue

from burntop.redis_client import get_redis

log = logging.getLogger(__name__)
DEFAULT_QUEUE = "default"
QUEUES = (DEFAULT_QUEUE,)


def refresh_global_totals() -> dict:
    """Recompute the landing page's global totals into the shared cache."""
    from burntop.stats.totals import refresh_global_totals as refresh

    return refresh()


def refresh_percentiles() -> dict[str, dict[str, int]]:
    """Recompute the community percentile snapshots /api/insights reads (burntop.stats.benchmarks)."""
    from burntop.stats.benchmarks import refresh_percentiles as refresh

    return refresh()


def sweep_pending_work() -> int:
    """Queue recorded work that was never queued, got lost or failed (burntop.pending)."""
    from burntop.pending import sweep

    return sweep()


def purge_expired() -> dict[str, int]:
    """Delete what has outlived its use: sign-in codes past every throttle window, sessions idle for
    their whole lifetime, finished device grants (with the requester's IP), avatars nobody shows."""
    from burntop.accounts.avatars import purge_avatars
    from burntop.accounts.device import purge_grants
    from burntop.accounts.email_codes import purge_codes
    from burntop.accounts.sessions import purge_sessions

    return {"codes": purge_codes(), "sessions": purge_sessions(), "grants": purge_grants(),
            "avatars": purge_avatars()}


@dataclass(frozen=True)
class Periodic:
    func: Callable
    interval: int | None = None  # seconds
    cron: str | None = None
    queue: str = DEFAULT_QUEUE


SCHEDULE = (
    Periodic(refresh_global_totals, interval=60),
    Periodic(sweep_pending_work, interval=60),
    Periodic(refresh_percentiles, interval=15 * 60),
    Periodic(purge_expired, cron="17 3 * * *"),
)


def queue_name(name: str) -> str:
    """Queue names carry the Redis key prefix, so deployments (and test runs) sharing a Redis stay apart."""
    return f"{current_app.config['REDIS_KEY_PREFIX']}-{name}"


def get_queue(name: str = DEFAULT_QUEUE, connection=None) -> Queue:
    return Queue(queue_name(name), connection=connection or get_redis())


def enqueue(func: Callable, *args, queue: str = DEFAULT_QUEUE, **kwargs):
    """Run func on an RQ worker when Redis is configured, else right here (single-process development).

    For work that must not be lost use burntop.pending, which records it in the database first.
    """
    if get_redis() is None:
        return func(*args, **kwargs)
    return get_queue(queue).enqueue(func, *args, **kwargs)


def after_requests_every(app: Flask, seconds: int, func: Callable, what: str) -> None:
    """Without Redis there is no worker for periodic work: run func after a request now and then, at most
    once every `seconds` (the first time `seconds` after start-up). A failure is logged, never raised."""
    from burntop.extensions import db

    last = [time.monotonic()]

    @app.teardown_request
    def _now_and_then(error) -> None:
        if error is not None or time.monotonic() - last[0] < seconds:
            return
        last[0] = time.monotonic()
        try:
            func()
        except Exception:
            db.session.rollback()
            log.exception("%s failed", what)
