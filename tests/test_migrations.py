"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from burntop.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_token_counts_are_64_bit(app):
    from burntop.models import DailyRollup, UsageRecord

    for column in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "cost_nanos"):
        assert UsageRecord.__table__.c[column].type.python_type is int
        assert "BIGINT" in str(DailyRollup.__table__.c[column].type.compile(db.engine.dialect)).upper()
