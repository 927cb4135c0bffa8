"""areas as a tree with codes, units unique per area, accounts with areas, sessions and tokens,
failed sign-ins, events naming the user, requests naming the user ids

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import config.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('path', sa.String(length=400), nullable=False, server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_areas_code'), ['code'])
        batch_op.create_index(batch_op.f('ix_areas_path'), ['path'], unique=False)
    # Paths from the root down; the old tree had two levels, four passes cover any depth we allow.
    op.execute("UPDATE areas SET path = '/' || id || '/' WHERE parent_id IS NULL")
    for _ in range(4):
        op.execute("UPDATE areas SET path = (SELECT p.path FROM areas p WHERE p.id = areas.parent_id) || id || '/' "
                   "WHERE parent_id IS NOT NULL")

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint('uq_units_name', type_='unique')
        batch_op.create_unique_constraint('uq_units_area_name', ['area_id', 'name'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_area_id_areas'), 'areas', ['area_id'], ['id'])

    op.create_table('auth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=True),
    sa.Column('client', sa.String(length=100), nullable=True),
    sa.Column('created_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_auth_tokens_digest'))
    )
    with op.batch_alter_table('auth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_username_at', ['username', 'at'], unique=False)

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_events_actor_id'), ['actor_id'], unique=False)

    with op.batch_alter_table('warning_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
    # Requests of the free-text era: the user of that name, where there is one.
    for column, name in (('requested_by_id', 'requested_by'), ('decided_by_id', 'decided_by')):
        op.execute(f"UPDATE warning_requests SET {column} = (SELECT u.id FROM users u "
                   f"WHERE lower(u.username) = lower(warning_requests.{name}))")
    op.execute("UPDATE events SET actor_id = (SELECT u.id FROM users u WHERE u.username = events.actor)")


def downgrade() -> None:
    with op.batch_alter_table('warning_requests', schema=None) as batch_op:
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('requested_by_id')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_actor_id'))
        batch_op.drop_column('area_id')
        batch_op.drop_column('actor_id')
    op.drop_table('login_failures')
    op.drop_table('auth_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_area_id_areas'), type_='foreignkey')
        batch_op.drop_column('area_id')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint('uq_units_area_name', type_='unique')
        batch_op.create_unique_constraint('uq_units_name', ['name'])
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_areas_path'))
        batch_op.drop_constraint(batch_op.f('uq_areas_code'), type_='unique')
        batch_op.drop_column('path')
        batch_op.drop_column('code')
