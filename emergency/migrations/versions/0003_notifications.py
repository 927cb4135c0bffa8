"""notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:35:30.915150
"""
from alembic import op
import sqlalchemy as sa
import config.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('acknowledgments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgments'))
    )
    with op.batch_alter_table('acknowledgments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgments_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('audit_findings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('first_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_audit_findings'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('provider_status', sa.String(length=30), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_address', ['address', 'sent_at'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_deliveries_provider_id', ['provider_id'], unique=False)
        batch_op.create_index('ix_deliveries_recipient', ['recipient_id'], unique=False)

    op.create_table('flagged_addresses',
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('address', name=op.f('pk_flagged_addresses'))
    )
    op.create_table('measure_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activation_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_confirmations'))
    )
    with op.batch_alter_table('measure_confirmations', schema=None) as batch_op:
        batch_op.create_index('ix_measure_confirmations_activation_enterprise', ['activation_id', 'enterprise_id'], unique=False)

    op.create_table('secrets',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_secrets'))
    )
    op.create_table('simulator_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_simulator_messages'))
    )
    with op.batch_alter_table('simulator_messages', schema=None) as batch_op:
        batch_op.create_index('ix_simulator_messages_address', ['address', 'id'], unique=False)

    with op.batch_alter_table('activation_enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', config.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_via', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', config.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('activations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('escalation_step', sa.Integer(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('activations', schema=None) as batch_op:
        batch_op.drop_column('escalation_step')
        batch_op.drop_column('ladder')

    with op.batch_alter_table('activation_enterprises', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('acknowledged_via')
        batch_op.drop_column('acknowledged_at')

    with op.batch_alter_table('simulator_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_simulator_messages_address')

    op.drop_table('simulator_messages')
    op.drop_table('secrets')
    with op.batch_alter_table('measure_confirmations', schema=None) as batch_op:
        batch_op.drop_index('ix_measure_confirmations_activation_enterprise')

    op.drop_table('measure_confirmations')
    op.drop_table('flagged_addresses')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_recipient')
        batch_op.drop_index('ix_deliveries_provider_id')
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index('ix_deliveries_address')

    op.drop_table('deliveries')
    op.drop_table('audit_findings')
    with op.batch_alter_table('acknowledgments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgments_recipient_id'))

    op.drop_table('acknowledgments')
