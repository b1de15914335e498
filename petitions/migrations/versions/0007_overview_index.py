"""The indexes the console's overview reads at any size (issue 16 part 1), for everyone and per agency: petitions
per agency and commune, and creation time with answer time (the weekly counts and the median time to answer). Each
figure then comes from an index alone, instead of one table row per petition.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 09:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_petition_agency_commune", ["agency", "commune_code"]),
    ("ix_petition_created_answered", ["created_at", "answered_at"]),
    ("ix_petition_agency_created_answered", ["agency", "created_at", "answered_at"]),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "petition", columns)


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="petition")
