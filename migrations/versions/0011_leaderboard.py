"""leaderboard snapshots: boards, their stored ranks, and the scopes syncs marked stale

Revision ID: 0011_leaderboard
Revises: 0010_review
Create Date: 2026-11-26 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_leaderboard'
down_revision = '0010_review'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leaderboard_boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('filter_kind', sa.String(length=8), nullable=False),
    sa.Column('filter_value', sa.String(length=200), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('baseline_generation', sa.Integer(), nullable=False),
    sa.Column('baseline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leaderboard_boards')),
    sa.UniqueConstraint('type', 'period', 'filter_kind', 'filter_value',
                        name=op.f('uq_leaderboard_boards_type_period_filter_kind_filter_value'))
    )
    op.create_table('leaderboard_dirty',
    sa.Column('scope', sa.String(length=220), nullable=False),
    sa.Column('dirty_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_leaderboard_dirty'))
    )
    op.create_table('leaderboard_entries',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('board_id', 'generation', 'rank', name=op.f('pk_leaderboard_entries'))
    )
    with op.batch_alter_table('leaderboard_entries', schema=None) as batch_op:
        batch_op.create_index('ix_leaderboard_entries_board_user', ['board_id', 'generation', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('leaderboard_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_leaderboard_entries_board_user')
    op.drop_table('leaderboard_entries')
    op.drop_table('leaderboard_dirty')
    op.drop_table('leaderboard_boards')
