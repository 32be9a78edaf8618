"""Migration 0007_machines fills machines and machine_days from the records stored before it."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select, text

from burntop import create_app
from burntop.extensions import db
from burntop.models import UsageRecord
from tests.conftest import PG_URL, _admin


@pytest.fixture
def empty_database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    from burntop.config import normalize_database_url

    name = f"burntop_test_migrate_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield normalize_database_url(PG_URL).rsplit("/", 1)[0] + "/" + name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _row(user_id, request_id, at, machine_id, day, **tokens):
    return {"user_id": user_id, "request_id": request_id, "timestamp": at, "day": day, "source": "claude-code",
            "model": "m", "provider": "anthropic", "input_tokens": tokens.get("i", 100), "output_tokens": 10,
            "cache_creation_tokens": 0, "cache_creation_1h_tokens": 0, "cache_read_tokens": tokens.get("r", 0),
            "reasoning_tokens": 0, "cost_nanos": tokens.get("c", 5), "priced": True, "machine_id": machine_id,
            "created_at": at}


def test_the_migration_backfills_machines_from_stored_records(empty_database_url):
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "REDIS_URL": None})
    with app.app_context():
        upgrade(revision="0006_numeric_cost_sums")
        for name in ("ann", "bob"):  # the columns users has at 0006, whatever later migrations add
            db.session.execute(text(
                "INSERT INTO users (username, email_verified, is_public, timezone, public_api_enabled, referral_code, "
                "is_admin, is_demo, xp_centi, level, current_streak, longest_streak, login_streak, created_at) "
                "VALUES (:u, false, true, 'UTC', false, :ref, false, false, 0, 1, 0, 0, 0, :now)"),
                {"u": name, "ref": f"ref-{name}", "now": "2025-01-01 00:00:00"})
        ann, bob = db.session.execute(text("SELECT id FROM users ORDER BY username")).scalars().all()
        at = lambda d, h: datetime(2025, 6, d, h, tzinfo=timezone.utc)  # noqa: E731
        db.session.execute(insert(UsageRecord.__table__), [
            _row(ann, "a1", at(2, 9), "desk", date(2025, 6, 2)),
            _row(ann, "a2", at(2, 10), "desk", date(2025, 6, 2), r=7),
            _row(ann, "a3", at(3, 9), "desk", date(2025, 6, 3)),
            _row(ann, "a4", at(1, 9), "laptop", date(2025, 6, 1), c=2**62),
            _row(ann, "a5", at(1, 8), "laptop", date(2025, 6, 1), c=2**62),  # together past 64 bits
            _row(ann, "a6", at(4, 9), None, date(2025, 6, 4)),
            _row(bob, "b1", at(5, 9), "desk", date(2025, 6, 5)),
        ])
        db.session.commit()
        upgrade()
        machines = db.session.execute(text(
            "SELECT user_id, machine_id, name FROM machines ORDER BY id")).all()
        days = db.session.execute(text(
            "SELECT user_id, machine_id, day, records, input_tokens, cache_read_tokens, cost_nanos FROM machine_days "
            "ORDER BY user_id, machine_id, day")).all()
        db.session.remove()
        db.engine.dispose()
    # numbered in the order of their first record: the laptop (1 June) before the desk (2 June)
    assert [tuple(m) for m in machines] == [(ann, "laptop", None), (ann, "desk", None), (ann, "", None),
                                            (bob, "desk", None)]
    capped = 2**63 - 1 if empty_database_url.startswith("sqlite") else 2**63
    assert [(u, m, str(d)[:10], n, i, r, int(c)) for u, m, d, n, i, r, c in days] == [
        (ann, "", "2025-06-04", 1, 100, 0, 5),
        (ann, "desk", "2025-06-02", 2, 200, 7, 10),
        (ann, "desk", "2025-06-03", 1, 100, 0, 5),
        (ann, "laptop", "2025-06-01", 2, 200, 0, capped),
        (bob, "desk", "2025-06-05", 1, 100, 0, 5),
    ]
