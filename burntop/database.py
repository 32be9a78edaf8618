"""Engine settings per database, and the SQLite pragmas that make it a safe embedded default."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import Table, case, event, false, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from burntop.extensions import db
from burntop.models.types import SumNanos


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Concurrent writers wait for the lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


INT64_MAX = 2**63 - 1


class _SafeSum:
    """SQLite aggregate safe_sum(): an exact sum that never fails. SQLite's own sum() raises
    "integer overflow" past 64 bits; this one gives a float there (PostgreSQL sums into numeric)."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, value) -> None:
        if value is not None:
            self.total = (self.total or 0) + int(value)

    def finalize(self):
        if self.total is None or -INT64_MAX - 1 <= self.total <= INT64_MAX:
            return self.total
        return float(self.total)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.create_aggregate("safe_sum", 1, _SafeSum)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def insert(table):
    """INSERT with ON CONFLICT support for the database in use (both dialects have it)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def least_greatest():
    """The two-argument min/max functions of the database in use."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.least, func.greatest
    return func.min, func.max  # SQLite's scalar min()/max() with two arguments


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def safe_sum(expression):
    """sum() that cannot fail on overflow: numeric on PostgreSQL, safe_sum() (see above) on SQLite."""
    if _dialect() == "postgresql":
        return func.sum(expression)
    return func.safe_sum(expression, type_=expression.type)


def checked_add(column, delta):
    """column + delta for an upsert, saturating at the 64-bit maximum instead of failing on overflow
    (a numeric column on PostgreSQL cannot overflow and is added plainly); deltas are never negative."""
    if isinstance(column.type, SumNanos) and _dialect() == "postgresql":
        return column + delta
    return case((column > INT64_MAX - delta, INT64_MAX), else_=column + delta)


def serialize(table: Table, *keys: str) -> None:
    """Make writers that name any of `keys` wait for this transaction to end, across processes and nodes,
    so a check followed by an insert cannot be raced: on PostgreSQL an advisory transaction lock per key;
    on SQLite its one database write lock, taken by a write to `table` that changes nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):  # one order everywhere, so two requests never wait on each other
            db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    else:
        column = next(iter(table.primary_key.columns))
        db.session.execute(update(table).where(false()).values({column.name: column}))
