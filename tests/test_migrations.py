"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from burntop.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_token_counts_are_64_bit_and_cost_sums_cannot_overflow(app):
    from burntop.models import DailyRollup, UsageRecord

    def ddl(column) -> str:
        return str(column.type.compile(db.engine.dialect)).upper()

    for column in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "cost_nanos"):
        assert UsageRecord.__table__.c[column].type.python_type is int
        assert "BIGINT" in ddl(UsageRecord.__table__.c[column])
    for column in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens"):
        assert "BIGINT" in ddl(DailyRollup.__table__.c[column])
    # A sum of costs: numeric on PostgreSQL; on SQLite a 64-bit integer whose additions saturate.
    expected = "NUMERIC(38, 0)" if db.engine.dialect.name == "postgresql" else "BIGINT"
    assert ddl(DailyRollup.__table__.c["cost_nanos"]) == expected
