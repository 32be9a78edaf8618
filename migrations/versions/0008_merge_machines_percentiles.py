"""merge the two 0007 heads (machines, percentile snapshots) built on separate branches

Revision ID: 0008_merge_machines_percentiles
Revises: 0007_machines, 0007_percentiles
Create Date: 2026-11-26 06:35:00

"""

# revision identifiers, used by Alembic.
revision = '0008_merge_machines_percentiles'
down_revision = ('0007_machines', '0007_percentiles')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
