"""token XP per local day with diminishing returns: record a one-time recompute of every user's XP

Revision ID: 0009_xp_curve
Revises: 0008_machines
Create Date: 2026-11-26 07:15:00

No schema change. Inserts one `xp-curve` row per user into pending_jobs; the sweeper dispatches them
(burntop.gamification.recompute.recompute_user), or `flask --app app xp recompute` runs them at once.
The curve itself lives in code (burntop.gamification.rules), so this migration only records the work.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from burntop.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0009_xp_curve'
down_revision = '0008_machines'
branch_labels = None
depends_on = None

KIND = 'xp-curve'

pending_jobs = sa.table(
    'pending_jobs', sa.column('kind', sa.String), sa.column('key', sa.String), sa.column('attempts', sa.Integer),
    sa.column('next_attempt_at', UTCDateTime()), sa.column('last_error', sa.String),
    sa.column('created_at', UTCDateTime()))
users = sa.table('users', sa.column('id', sa.BigInteger))


def upgrade():
    now = datetime.now(timezone.utc)
    op.execute(pending_jobs.insert().from_select(
        ['kind', 'key', 'attempts', 'next_attempt_at', 'last_error', 'created_at'],
        sa.select(sa.literal(KIND, sa.String), sa.cast(users.c.id, sa.String(64)), sa.literal(0, sa.Integer),
                  sa.literal(now, UTCDateTime()), sa.null(), sa.literal(now, UTCDateTime()))
        .where(~sa.exists().where(pending_jobs.c.kind == KIND, pending_jobs.c.key == sa.cast(users.c.id, sa.String(64))))))


def downgrade():
    op.execute(pending_jobs.delete().where(pending_jobs.c.kind == KIND))
