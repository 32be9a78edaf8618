"""plausibility review: review_flags (evidence) and review_days (under review, cleared, confirmed)

Revision ID: 0010_review
Revises: 0009_xp_curve
Create Date: 2026-11-26 07:30:00

"""
from alembic import op
import sqlalchemy as sa

from burntop.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0010_review'
down_revision = '0009_xp_curve'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_days',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('flagged_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_review_days_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_days_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_review_days'))
    )
    op.create_index('ix_review_days_status', 'review_days', ['status', 'flagged_at'], unique=False)
    op.create_table('review_flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('observed', sa.BigInteger(), nullable=False),
    sa.Column('bound', sa.BigInteger(), nullable=False),
    sa.Column('machine_id', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('request_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_flags_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_flags'))
    )
    op.create_index('ix_review_flags_user_day', 'review_flags', ['user_id', 'day'], unique=False)


def downgrade():
    op.drop_index('ix_review_flags_user_day', table_name='review_flags')
    op.drop_table('review_flags')
    op.drop_index('ix_review_days_status', table_name='review_days')
    op.drop_table('review_days')
