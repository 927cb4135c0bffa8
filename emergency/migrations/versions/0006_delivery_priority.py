"""deliveries: a priority and the index claims walk in order; per-enterprise escalation

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
    # What was queued before: reminders and calls after notices, as the worker now takes them.
    op.execute("UPDATE deliveries SET priority = 2 WHERE purpose IN ('reminder', 'call')")
    op.execute("UPDATE deliveries SET priority = 1 WHERE purpose IN ('town', 'command')")
    op.create_index('ix_deliveries_claim', 'deliveries', ['status', 'priority', sa.text('created_at DESC'), 'id'])
    op.add_column('activation_enterprises', sa.Column('escalated_after', sa.Integer(), nullable=False,
                                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('activation_enterprises', schema=None) as batch_op:
        batch_op.drop_column('escalated_after')
    op.drop_index('ix_deliveries_claim', table_name='deliveries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('priority')
