"""Holding PostgreSQL locks from a connection of the test's own, to pause a transaction at a known point."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import psycopg

from burntop.extensions import db


def _plain_url() -> str:
    return db.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def held(sql: str):
    """A transaction of the test's own that has run `sql` and holds its locks until the block ends."""
    conn = psycopg.connect(_plain_url())
    try:
        conn.execute(sql)
        yield conn
    finally:
        conn.rollback()
        conn.close()


def lock_waits(like: str = "%") -> list[str]:
    """Statements of this database now waiting for a lock."""
    with psycopg.connect(_plain_url(), autocommit=True) as conn:
        return [q for (q,) in conn.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s", (like,))]


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def in_thread(target) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(target()), daemon=True)
    thread.start()
    return thread, out
