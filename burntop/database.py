"""Engine settings per database, and the SQLite pragmas that make it a safe embedded default."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import Table, event, false, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from burntop.extensions import db


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Concurrent writers wait for the lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
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
