"""`flask --app app worker`: an RQ worker, plus RQ's cron scheduler for the periodic jobs."""
from __future__ import annotations

import multiprocessing
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker
from rq.cron import CronScheduler

from burntop.extensions import db
from burntop.jobs import QUEUES, SCHEDULE, get_queue, queue_name
from burntop.redis_client import get_redis


def build_cron(connection) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name=f"burntop-cron:{os.getpid()}")
    for job in SCHEDULE:
        scheduler.register(job.func, queue_name=queue_name(job.queue), interval=job.interval, cron=job.cron)
    return scheduler


def _run_cron(connection) -> None:
    build_cron(connection).start()


@click.command("worker")
@click.option("--cron/--no-cron", default=True, show_default=True,
              help="Also run RQ's cron scheduler (run it on exactly one machine).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (for scripts and tests).")
@with_appcontext
def worker_command(cron: bool, burst: bool) -> None:
    """Run an RQ worker for burntop's queues."""
    connection = get_redis()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the web process.")
    # A forked job must not reuse the parent's database connections.
    os.register_at_fork(after_in_child=lambda: db.engine.dispose(close=False))
    scheduler = None
    if cron and not burst:
        scheduler = multiprocessing.get_context("fork").Process(target=_run_cron, args=(connection,), daemon=True)
        scheduler.start()
    try:
        queues = [get_queue(name) for name in QUEUES]
        Worker(queues, connection=connection).work(burst=burst, logging_level=current_app.config["LOG_LEVEL"])
    finally:
        if scheduler is not None:
            scheduler.terminate()
            scheduler.join(5)
