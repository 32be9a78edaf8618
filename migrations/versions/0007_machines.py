"""machines and machine_days: the computers that sent a user's records, and each one's daily sums

Revision ID: 0007_machines
Revises: 0006_numeric_cost_sums
Create Date: 2026-11-26 06:30:00

Both are filled from the records already stored: one machine per (user, machine id), records without
a machine id under "" (the unknown computer), numbered in the order of their first record; one row per
(user, machine id, local day), the day being the one usage_records already holds in the user's zone.
Sums saturate at the 64-bit maximum where the column is 64-bit, as ingest's additions do.
"""
from alembic import op
import sqlalchemy as sa

from burntop.models.types import SumNanos, UTCDateTime


# revision identifiers, used by Alembic.
revision = '0007_machines'
down_revision = '0006_numeric_cost_sums'
branch_labels = None
depends_on = None

INT64_MAX = 2**63 - 1
TOKENS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens")


def upgrade():
    op.create_table('machines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.Column('first_seen', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_machines_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machines')),
    sa.UniqueConstraint('user_id', 'machine_id', name=op.f('uq_machines_user_id_machine_id')),
    sqlite_autoincrement=True
    )
    op.create_table('machine_days',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('records', sa.BigInteger(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=False),
    sa.Column('output_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_creation_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cache_read_tokens', sa.BigInteger(), nullable=False),
    sa.Column('reasoning_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cost_nanos', SumNanos(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_machine_days_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine_days')),
    sa.UniqueConstraint('user_id', 'machine_id', 'day', name=op.f('uq_machine_days_user_id_machine_id_day'))
    )
    _backfill()


def _backfill():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite's sum() fails past 64 bits; burntop's safe_sum() gives a float there, capped below.
        from burntop.database import _SafeSum

        bind.connection.driver_connection.create_aggregate("safe_sum", 1, _SafeSum)
        total, cap, cost = "safe_sum({})", "min({}, {})", "min(safe_sum(cost_nanos), {})".format(INT64_MAX)
    else:
        total, cap, cost = "sum({})", "least({}, {})", "sum(cost_nanos)"  # numeric(38) holds any sum
    sums = ", ".join(cap.format(total.format(column), INT64_MAX) for column in TOKENS)
    op.execute(
        "INSERT INTO machines (user_id, machine_id, name, first_seen, last_seen) "
        "SELECT user_id, coalesce(machine_id, ''), NULL, min(timestamp), max(timestamp) FROM usage_records "
        "GROUP BY user_id, coalesce(machine_id, '') ORDER BY min(timestamp), user_id, coalesce(machine_id, '')")
    op.execute(
        f"INSERT INTO machine_days (user_id, machine_id, day, records, {', '.join(TOKENS)}, cost_nanos) "
        f"SELECT user_id, coalesce(machine_id, ''), day, count(*), {sums}, {cost} FROM usage_records "
        "GROUP BY user_id, coalesce(machine_id, ''), day")


def downgrade():
    op.drop_table('machine_days')
    op.drop_table('machines')
