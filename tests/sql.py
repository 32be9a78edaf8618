"""Watching the SQL a request runs (the database is real; this only listens)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from burntop.extensions import db


@contextmanager
def statements():
    """Every SQL statement run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement.lstrip().split(None, 1)[0].upper() + " " + statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
