"""process locks (exactly one scheduler on SQLite)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import config.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_locks',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('heartbeat_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_process_locks'))
    )


def downgrade() -> None:
    op.drop_table('process_locks')
