"""browser sessions, avatars, ids never reused on SQLite, device requester IP, referral clicks per hour

Revision ID: 0004_sessions_avatars
Revises: 0003_usage_hours
Create Date: 2026-11-26 03:15:08.484785

SQLite only says "never reuse an id" with AUTOINCREMENT, which a table gets only when it is created:
the tables whose ids reach a browser, a client or a URL are rebuilt here (batch mode, foreign keys off
while it runs, see env.py). SQLAlchemy does not reflect AUTOINCREMENT, so a later migration that
rebuilds one of them must pass table_kwargs={"sqlite_autoincrement": True} again (a test checks).
PostgreSQL's sequences never reuse ids, so nothing is rebuilt there.
"""
from alembic import op
import sqlalchemy as sa

from burntop.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0004_sessions_avatars'
down_revision = '0003_usage_hours'
branch_labels = None
depends_on = None

NEVER_REUSE_IDS = ("users", "api_tokens", "device_grants", "activities", "notifications")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _batch(table: str, autoincrement: bool):
    if autoincrement and _sqlite():
        return op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement})
    return op.batch_alter_table(table)


def upgrade():
    op.create_table('avatars',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_avatars'))
    )
    op.create_table('user_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=100), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with _batch('users', True) as batch_op:
        batch_op.add_column(sa.Column('avatar_digest', sa.String(length=64), nullable=True))
    with _batch('device_grants', True) as batch_op:
        batch_op.add_column(sa.Column('requester_ip', sa.String(length=45), nullable=True))
    for table in ("api_tokens", "activities", "notifications"):
        if _sqlite():
            with _batch(table, True):
                pass

    # Clicks count once per visitor and hour: existing ones fall in the hour they were made.
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hour', UTCDateTime(timezone=True), nullable=True))
    if _sqlite():
        op.execute("UPDATE referral_clicks SET hour = strftime('%Y-%m-%d %H:00:00.000000', created_at)")
    else:
        op.execute("UPDATE referral_clicks SET hour = date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.alter_column('hour', existing_type=UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_referral_clicks_referrer_id_visitor_hash'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_referral_clicks_referrer_id_visitor_hash_hour'),
                                          ['referrer_id', 'visitor_hash', 'hour'])


def downgrade():
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_referral_clicks_referrer_id_visitor_hash_hour'), type_='unique')
    # Several hours of one visitor become one click again.
    op.execute("DELETE FROM referral_clicks WHERE id NOT IN "
               "(SELECT min(id) FROM referral_clicks GROUP BY referrer_id, visitor_hash)")
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_referral_clicks_referrer_id_visitor_hash'),
                                          ['referrer_id', 'visitor_hash'])
        batch_op.drop_column('hour')

    with op.batch_alter_table('device_grants', schema=None) as batch_op:
        batch_op.drop_column('requester_ip')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('avatar_digest')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_last_seen_at'))
    op.drop_table('user_sessions')
    op.drop_table('avatars')
