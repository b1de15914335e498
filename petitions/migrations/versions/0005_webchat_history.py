"""Web chat identities and their history (issue 14 parts 1-2; models in petitions/chat_log.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webchat',
    sa.Column('sender_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sender_id', name=op.f('pk_webchat'))
    )
    op.create_index(op.f('ix_webchat_last_seen_at'), 'webchat', ['last_seen_at'], unique=False)
    op.create_table('webchat_line',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sender_id', sa.String(length=40), nullable=False),
    sa.Column('who', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("who IN ('user', 'bot')", name=op.f('ck_webchat_line_who')),
    sa.ForeignKeyConstraint(['sender_id'], ['webchat.sender_id'], name=op.f('fk_webchat_line_sender_id_webchat'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webchat_line')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_webchat_line_sender_id_id', 'webchat_line', ['sender_id', 'id'], unique=False)
    op.create_index(op.f('ix_webchat_line_created_at'), 'webchat_line', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webchat_line_created_at'), table_name='webchat_line')
    op.drop_index('ix_webchat_line_sender_id_id', table_name='webchat_line')
    op.drop_table('webchat_line')
    op.drop_index(op.f('ix_webchat_last_seen_at'), table_name='webchat')
    op.drop_table('webchat')
