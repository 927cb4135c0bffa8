"""the console: a user's interface language, drill warnings, units' acknowledgment and confirmation

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

import config.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('language', sa.String(length=5), nullable=True))
    op.add_column('warnings', sa.Column('drill', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'activation_units',
        sa.Column('activation_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at', config.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_via', sa.String(length=10), nullable=True),
        sa.Column('confirmed_at', config.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by', sa.String(length=100), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('activation_id', 'unit_id'),
    )
    # Notices sent before: their units can confirm too (nothing acknowledged yet as far as we know).
    op.execute("INSERT INTO activation_units (activation_id, unit_id) "
               "SELECT DISTINCT activation_id, unit_id FROM recipients WHERE unit_id IS NOT NULL")


def downgrade() -> None:
    op.drop_table('activation_units')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_column('drill')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
