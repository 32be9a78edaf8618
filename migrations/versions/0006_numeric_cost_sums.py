"""daily_rollups.cost_nanos as numeric(38) on PostgreSQL: sums of costs cannot overflow

Revision ID: 0006_numeric_cost_sums
Revises: 0005_pending_jobs
Create Date: 2026-11-23 11:00:00

SQLite keeps its 64-bit integer, whose additions saturate instead (burntop.database.checked_add).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_numeric_cost_sums'
down_revision = '0005_pending_jobs'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('daily_rollups', 'cost_nanos', existing_type=sa.BigInteger(),
                        type_=sa.Numeric(38, 0), existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('daily_rollups', 'cost_nanos', existing_type=sa.Numeric(38, 0),
                        type_=sa.BigInteger(), existing_nullable=False,
                        postgresql_using='least(cost_nanos, 9223372036854775807)::bigint')
