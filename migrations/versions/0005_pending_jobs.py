"""pending work recorded with its cause (burntop.pending)

Revision ID: 0005_pending_jobs
Revises: 0004_sessions_avatars
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_pending_jobs'
down_revision = '0004_sessions_avatars'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_jobs',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_pending_jobs'))
    )
    with op.batch_alter_table('pending_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_pending_jobs_next_attempt_at', ['next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_jobs_next_attempt_at')
    op.drop_table('pending_jobs')
