"""inspections: visits, findings per measure, photos, assignments

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

import config.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warning_id', sa.Integer(), sa.ForeignKey('warnings.id'), nullable=False),
        sa.Column('activation_id', sa.Integer(), sa.ForeignKey('activations.id'), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), sa.ForeignKey('enterprises.id'), nullable=False),
        sa.Column('inspector_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('inspector', sa.String(length=100), nullable=False),
        sa.Column('at', config.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('accuracy_m', sa.Float(), nullable=True),
        sa.Column('client_key', sa.String(length=64), nullable=True),
        sa.Column('created_at', config.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('inspector_id', 'client_key', name='uq_inspections_inspector_client_key'),
    )
    op.create_index('ix_inspections_warning_enterprise', 'inspections', ['warning_id', 'enterprise_id'])
    op.create_index('ix_inspections_enterprise', 'inspections', ['enterprise_id'])
    op.create_table(
        'inspection_findings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'), nullable=False),
        sa.Column('measure_id', sa.Integer(), sa.ForeignKey('measures.id'), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('inspection_id', 'measure_id', name='uq_inspection_findings_measure'),
    )
    op.create_index('ix_inspection_findings_inspection_id', 'inspection_findings', ['inspection_id'])
    op.create_table(
        'inspection_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), sa.ForeignKey('inspections.id'), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=30), nullable=False),
        sa.Column('bytes', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('uploaded_by', sa.String(length=100), nullable=False),
        sa.Column('uploaded_at', config.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inspection_photos_inspection_id', 'inspection_photos', ['inspection_id'])
    op.create_index('ix_inspection_photos_sha256', 'inspection_photos', ['sha256'])
    op.create_index('ix_inspection_photos_uploader', 'inspection_photos', ['uploaded_by_id', 'inspection_id'])
    op.create_table(
        'inspection_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warning_id', sa.Integer(), sa.ForeignKey('warnings.id'), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), sa.ForeignKey('enterprises.id'), nullable=False),
        sa.Column('inspector_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('assigned_by', sa.String(length=100), nullable=False),
        sa.Column('assigned_at', config.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('warning_id', 'enterprise_id', name='uq_inspection_assignments_enterprise'),
    )
    op.create_index('ix_inspection_assignments_inspector', 'inspection_assignments', ['inspector_id', 'warning_id'])


def downgrade() -> None:
    op.drop_table('inspection_assignments')
    op.drop_table('inspection_photos')
    op.drop_table('inspection_findings')
    op.drop_table('inspections')
