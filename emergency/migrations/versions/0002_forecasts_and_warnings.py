"""forecasts and warnings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:03:09.956696
"""
from alembic import op
import sqlalchemy as sa
import config.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forecast_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_imports'))
    )
    op.create_table('forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('issued_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('aqi', sa.Integer(), nullable=False),
    sa.Column('aqi_given', sa.Boolean(), nullable=False),
    sa.Column('primary', sa.String(length=50), nullable=False),
    sa.Column('pm25', sa.Float(), nullable=True),
    sa.Column('pm10', sa.Float(), nullable=True),
    sa.Column('so2', sa.Float(), nullable=True),
    sa.Column('no2', sa.Float(), nullable=True),
    sa.Column('co', sa.Float(), nullable=True),
    sa.Column('o3_8h', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_forecasts_area_id_areas')),
    sa.ForeignKeyConstraint(['import_id'], ['forecast_imports.id'], name=op.f('fk_forecasts_import_id_forecast_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecasts'))
    )
    with op.batch_alter_table('forecasts', schema=None) as batch_op:
        batch_op.create_index('ix_forecasts_area_date', ['area_id', 'date'], unique=False)
        batch_op.create_index('ix_forecasts_area_issued', ['area_id', 'issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_forecasts_import_id'), ['import_id'], unique=False)

    op.create_table('warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('start_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_warnings_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index('ix_warnings_area_status', ['area_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_status'), ['status'], unique=False)

    op.create_table('warning_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('start_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lift_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', config.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('adequacy', sa.JSON(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_requests_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_requests')),
    sa.UniqueConstraint('warning_id', 'seq', name='uq_warning_requests_warning_seq')
    )
    op.create_table('activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warning_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('starts_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', config.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('enterprises', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['warning_requests.id'], name=op.f('fk_activations_request_id_warning_requests')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_activations_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activations')),
    sa.UniqueConstraint('request_id', name=op.f('uq_activations_request_id'))
    )
    with op.batch_alter_table('activations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activations_warning_id'), ['warning_id'], unique=False)

    op.create_table('activation_duties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activation_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('duty', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['activation_id'], ['activations.id'], name=op.f('fk_activation_duties_activation_id_activations')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activation_duties_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_duties'))
    )
    with op.batch_alter_table('activation_duties', schema=None) as batch_op:
        batch_op.create_index('ix_activation_duties_activation_unit', ['activation_id', 'unit_id'], unique=False)

    op.create_table('activation_enterprises',
    sa.Column('activation_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('list_version_id', sa.Integer(), nullable=False),
    sa.Column('self_chosen', sa.Boolean(), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('activation_id', 'enterprise_id', name=op.f('pk_activation_enterprises'))
    )
    with op.batch_alter_table('activation_enterprises', schema=None) as batch_op:
        batch_op.create_index('ix_activation_enterprises_enterprise', ['enterprise_id'], unique=False)

    op.create_table('recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activation_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipients'))
    )
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.create_index('ix_recipients_activation_enterprise', ['activation_id', 'enterprise_id'], unique=False)
        batch_op.create_index('ix_recipients_unit', ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_recipients_unit')
        batch_op.drop_index('ix_recipients_activation_enterprise')

    op.drop_table('recipients')
    with op.batch_alter_table('activation_enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_activation_enterprises_enterprise')

    op.drop_table('activation_enterprises')
    with op.batch_alter_table('activation_duties', schema=None) as batch_op:
        batch_op.drop_index('ix_activation_duties_activation_unit')

    op.drop_table('activation_duties')
    with op.batch_alter_table('activations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activations_warning_id'))

    op.drop_table('activations')
    op.drop_table('warning_requests')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warnings_status'))
        batch_op.drop_index('ix_warnings_area_status')

    op.drop_table('warnings')
    with op.batch_alter_table('forecasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecasts_import_id'))
        batch_op.drop_index('ix_forecasts_area_issued')
        batch_op.drop_index('ix_forecasts_area_date')

    op.drop_table('forecasts')
    op.drop_table('forecast_imports')
