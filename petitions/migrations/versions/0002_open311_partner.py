"""Open311 partners: one row per partner app, its API key kept only as a SHA-256 (petitions/open311_keys.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_hint', sa.String(length=16), nullable=False),
    sa.Column('per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_partner')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_partner_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_partner_name'))
    )


def downgrade() -> None:
    op.drop_table('open311_partner')
