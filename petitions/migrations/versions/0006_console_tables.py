"""The console's tables under Alembic (issue 16 part 7): accounts, login sessions, login attempts, audit log; and
the two indexes the queue's SQL paging needs (issue 16 part 2).

Until now `console.tables.create_schema` made them with `create_all`, so a database in service may already hold
them. Each table is created only when missing and each index only when missing: such a database upgrades in place,
keeping its accounts and audit history, and a new one gets exactly the same schema. The tables are written out here
(not imported from console/tables.py) so that this step stays what it was when later models change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 17:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _tables() -> list[tuple[str, list[sa.SchemaItem], list[tuple[str, list[str]]]]]:
    """(table, columns and constraints, indexes) of each console table, parents before children."""
    return [
        ("console_user", [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("password_hash", sa.String(255), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("agency", sa.String(64), nullable=True),
            sa.Column("commune", sa.String(64), nullable=True),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", TZ, nullable=False),
            sa.Column("password_changed_at", TZ, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_console_user"),
            sa.UniqueConstraint("username", name="uq_console_user_username"),
        ], []),
        ("console_session", [
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("csrf_token", sa.String(64), nullable=False),
            sa.Column("created_at", TZ, nullable=False),
            sa.Column("last_seen_at", TZ, nullable=False),
            sa.Column("expires_at", TZ, nullable=False),
            sa.PrimaryKeyConstraint("token_hash", name="pk_console_session"),
            sa.ForeignKeyConstraint(["user_id"], ["console_user.id"], ondelete="CASCADE",
                                    name="fk_console_session_user_id_console_user"),
        ], [("ix_console_session_user_id", ["user_id"])]),
        ("console_login_attempt", [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("client", sa.String(64), nullable=False),
            sa.Column("ok", sa.Boolean(), nullable=False),
            sa.Column("at", TZ, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_console_login_attempt"),
        ], [("ix_console_login_attempt_username_at", ["username", "at"]),
            ("ix_console_login_attempt_client_at", ["client", "at"]),
            ("ix_console_login_attempt_ok_at", ["ok", "at"])]),
        ("console_audit", [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", TZ, nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("target", sa.String(200), nullable=False),
            sa.Column("agency", sa.String(64), nullable=True),
            sa.Column("before", sa.Text(), nullable=True),
            sa.Column("after", sa.Text(), nullable=True),
            sa.Column("client", sa.String(64), nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_console_audit"),
        ], [("ix_console_audit_at", ["at"]), ("ix_console_audit_actor", ["actor"]),
            ("ix_console_audit_target", ["target"]), ("ix_console_audit_action_at", ["action", "at"])]),
    ]


# The queue's order (status, then due date, then arrival; petitions.store.queue_order), covered by an index with and
# without the agency in front: a queue page or an agency's status counts read the index alone, at any table size.
PETITION_INDEXES = [
    ("ix_petition_queue", ["status", "due_date", "created_at"]),
    ("ix_petition_agency_queue", ["agency", "status", "due_date", "created_at"]),
]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = {ix["name"] for ix in inspector.get_indexes("petition")}
    for name, columns in PETITION_INDEXES:
        if name not in have:
            op.create_index(name, "petition", columns)
    existing = set(inspector.get_table_names())
    for table, items, indexes in _tables():
        if table not in existing:
            op.create_table(table, *items)
            have: set[str] = set()
        else:  # made earlier by create_all: keep its rows, add what it lacks
            have = {ix["name"] for ix in inspector.get_indexes(table)}
        for name, columns in indexes:
            if name not in have:
                op.create_index(name, table, columns)


def downgrade() -> None:
    for name, _columns in PETITION_INDEXES:
        op.drop_index(name, table_name="petition")
    for table, _items, _indexes in reversed(_tables()):
        op.drop_table(table)
