"""percentile snapshots: community benchmarks for /api/insights, refreshed by a periodic job

Revision ID: 0007_percentiles
Revises: 0006_numeric_cost_sums
Create Date: 2026-11-26 06:30:00

"""
from alembic import op
import sqlalchemy as sa

from burntop.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0007_percentiles'
down_revision = '0006_numeric_cost_sums'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('percentile_snapshots',
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('quantiles', sa.JSON(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('mean', sa.Float(), nullable=False),
    sa.Column('computed_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('period', 'metric', name=op.f('pk_percentile_snapshots'))
    )


def downgrade():
    op.drop_table('percentile_snapshots')
