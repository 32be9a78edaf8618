"""`flask --app app worker`: an RQ worker, plus RQ's cron scheduler for the periodic jobs.

Two guarantees around the scheduler, so that no periodic job is ever enqueued twice:
- every process the worker forks (the scheduler, RQ's own retry scheduler, job horses) dies with it,
  even when the worker is SIGKILLed (Linux PR_SET_PDEATHSIG; elsewhere a watchdog thread);
- a scheduler enqueues only while it holds the deployment's scheduler lock in Redis (renewed every
  RENEW_EVERY seconds, expiring after LOCK_TTL): a second one, started by mistake on another machine
  or left behind by a crash, waits as a standby and takes over once the first is gone.
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid

import click
from flask import current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from burntop import freeze_after_start_up
from burntop.extensions import db
from burntop.jobs import QUEUES, SCHEDULE, get_queue, queue_name
from burntop.redis_client import get_redis

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
LOCK_TTL = 60  # seconds
RENEW_EVERY = 15
REDIS_RETRY = 5
# Take the lock if free, or renew it if ours; 1 when we hold it afterwards.
_ACQUIRE_OR_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('expire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


_forking = [0]  # pid of the process that is forking, recorded just before each fork


def _die_with_parent() -> None:
    """In a forked child: end when the process that forked it ends, however it ends."""
    parent = _forking[0]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0:
            if os.getppid() != parent:  # the parent died before the call above
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


class SingleCronScheduler(CronScheduler):
    """RQ's cron scheduler, enqueueing only while it holds the deployment's scheduler lock."""

    def __init__(self, connection, lock_key: str, **kwargs):
        super().__init__(connection, **kwargs)
        self.lock_key = lock_key
        self.token = f"{self.name}:{uuid.uuid4().hex}"
        self.holding: bool | None = None  # unknown until the first check

    def holds_lock(self) -> bool:
        held = bool(self.connection.eval(_ACQUIRE_OR_RENEW, 1, self.lock_key, self.token, LOCK_TTL))
        if held != self.holding:
            self.log.info("CronScheduler %s: %s", self.name,
                          "holds the scheduler lock" if held else "is a standby (another scheduler runs)")
        self.holding = held
        return held

    def release_lock(self) -> None:
        self.connection.eval(_RELEASE, 1, self.lock_key, self.token)
        self.holding = False

    def enqueue_jobs(self):
        return super().enqueue_jobs() if self.holds_lock() else []

    def calculate_sleep_interval(self) -> float:
        return min(super().calculate_sleep_interval(), RENEW_EVERY)

    def start(self) -> None:
        """RQ's loop, but a Redis outage only pauses it."""
        self._install_signal_handlers()
        born = False
        try:
            while True:
                try:
                    if not born:
                        self.register_birth()
                        born = True
                    if self.enqueue_jobs():
                        self.save()
                    self.heartbeat()
                    pause = self.calculate_sleep_interval()
                except RedisError as error:
                    self.log.warning("CronScheduler %s: Redis unavailable (%s); retrying", self.name, error)
                    self.holding, pause = False, REDIS_RETRY
                time.sleep(pause)
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stopping", self.name)
        finally:
            try:
                self.release_lock()
                if born:
                    self.register_death()
            except RedisError:
                pass  # the lock expires on its own


def build_cron(connection) -> SingleCronScheduler:
    prefix = current_app.config["REDIS_KEY_PREFIX"]
    scheduler = SingleCronScheduler(connection, lock_key=f"{prefix}:cron-lock",
                                    name=f"burntop-cron:{prefix}:{os.getpid()}")
    for job in SCHEDULE:
        # Named with the prefix: RQ keeps each cron job's history under rq:cron_job:<name>:jobs.
        scheduler.register(job.func, queue_name=queue_name(job.queue), interval=job.interval, cron=job.cron,
                           name=f"{prefix}:{job.func.__module__}.{job.func.__name__}")
    return scheduler


def _run_cron(connection) -> None:
    build_cron(connection).start()


def _after_fork_in_child() -> None:
    db.engine.dispose(close=False)  # a forked job must not reuse the parent's database connections
    _die_with_parent()


def _install_fork_hooks() -> None:
    """Once per process (tests start workers in-process repeatedly)."""
    if not _forking[0]:
        _forking[0] = os.getpid()
        os.register_at_fork(before=lambda: _forking.__setitem__(0, os.getpid()),
                            after_in_child=_after_fork_in_child)


@click.command("worker")
@click.option("--cron/--no-cron", default=True, show_default=True,
              help="Also run the cron scheduler (one per deployment runs; others stand by).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (for scripts and tests).")
@with_appcontext
def worker_command(cron: bool, burst: bool) -> None:
    """Run an RQ worker for burntop's queues."""
    connection = get_redis()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the web process.")
    _install_fork_hooks()
    if not burst:
        freeze_after_start_up()
    scheduler = None
    if cron and not burst:
        scheduler = multiprocessing.get_context("fork").Process(
            target=_run_cron, args=(connection,), name="burntop-cron", daemon=True)
        scheduler.start()
    try:
        queues = [get_queue(name) for name in QUEUES]
        # with_scheduler: RQ's own scheduler moves jobs waiting for a retry interval back to their queue.
        Worker(queues, connection=connection).work(burst=burst, with_scheduler=True,
                                                   logging_level=current_app.config["LOG_LEVEL"])
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.join(5)
