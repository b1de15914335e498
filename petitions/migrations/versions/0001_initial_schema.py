"""Initial schema: petitions and their status history.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 15:25:27.413500
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=True),
    sa.Column('owner_key', sa.String(length=64), nullable=False),
    sa.Column('consent_given', sa.Boolean(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_text', sa.Text(), nullable=True),
    sa.Column('contact_phone', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('commune_name', sa.String(length=200), nullable=True),
    sa.Column('commune_matched', sa.Boolean(), nullable=False),
    sa.Column('commune_code', sa.String(length=64), nullable=True),
    sa.Column('commune_key', sa.String(length=200), nullable=True),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=128), nullable=True),
    sa.Column('delivery_state', sa.String(length=16), nullable=False),
    sa.Column('delivery_attempts', sa.Integer(), nullable=False),
    sa.Column('delivery_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.CheckConstraint("delivery_state IN ('none', 'pending', 'sent', 'failed', 'not-deliverable')", name=op.f('ck_petition_delivery_known')),
    sa.CheckConstraint("kind IN ('khieu-nai', 'to-cao', 'phan-anh-kien-nghi')", name=op.f('ck_petition_kind_known')),
    sa.CheckConstraint("status IN ('moi', 'dang-xu-ly', 'da-tra-loi', 'da-dong', 'khong-xu-ly')", name=op.f('ck_petition_status_known')),
    sa.CheckConstraint('consent_given OR contact_phone IS NULL', name=op.f('ck_petition_contact_needs_consent')),
    sa.CheckConstraint('length(text) >= 1', name=op.f('ck_petition_text_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition')),
    sa.UniqueConstraint('code', name=op.f('uq_petition_code')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_petition_idempotency_key'))
    )
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_commune_key'), ['commune_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_owner_key'), ['owner_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_status'), ['status'], unique=False)
        batch_op.create_index('ix_petition_status_due', ['status', 'due_date'], unique=False)

    op.create_table('petition_status_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_status_history_petition_id_petition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_status_history'))
    )
    with op.batch_alter_table('petition_status_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_status_history_petition_id'), ['petition_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('petition_status_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_status_history_petition_id'))

    op.drop_table('petition_status_history')
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_status_due')
        batch_op.drop_index(batch_op.f('ix_petition_status'))
        batch_op.drop_index(batch_op.f('ix_petition_owner_key'))
        batch_op.drop_index(batch_op.f('ix_petition_due_date'))
        batch_op.drop_index(batch_op.f('ix_petition_created_at'))
        batch_op.drop_index(batch_op.f('ix_petition_commune_key'))
        batch_op.drop_index(batch_op.f('ix_petition_commune_code'))
        batch_op.drop_index(batch_op.f('ix_petition_agency'))

    op.drop_table('petition')
