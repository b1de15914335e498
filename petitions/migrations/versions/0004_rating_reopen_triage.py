"""Ratings, reopening and the triage queue (issue 14 parts 5-6).

`petition.triage_state` marks a petition the router could not place with confidence (pending until an operator
confirms its agency); `petition_rating` keeps the citizen's verdict on each answer, and whether it reopened the
petition.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 17:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch copy of `petition`: on SQLite (foreign keys on) dropping the old table would
    # cascade-delete every petition's history and notices.
    op.add_column('petition', sa.Column('triage_state', sa.String(length=16), nullable=True))
    op.create_index(op.f('ix_petition_triage_state'), 'petition', ['triage_state'], unique=False)
    if op.get_bind().dialect.name != 'sqlite':  # SQLite cannot add a constraint to an existing table
        op.create_check_constraint(op.f('ck_petition_triage_known'), 'petition',
                                   "triage_state IS NULL OR triage_state IN ('pending', 'confirmed')")
    op.create_table('petition_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('resolved', 'unresolved', 'neutral')",
                       name=op.f('ck_petition_rating_verdict_known')),
    sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name=op.f('ck_petition_rating_score_range')),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_petition_rating_petition_id_petition'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_rating'))
    )
    with op.batch_alter_table('petition_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_rating_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_petition_rating_petition_id'), ['petition_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('petition_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_rating_petition_id'))
        batch_op.drop_index(batch_op.f('ix_petition_rating_agency'))
    op.drop_table('petition_rating')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_petition_triage_known'), 'petition', type_='check')
    op.drop_index(op.f('ix_petition_triage_state'), table_name='petition')
    op.drop_column('petition', 'triage_state')  # SQLite 3.35+: a native DROP COLUMN, no table copy
