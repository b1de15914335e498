"""The console's own tables (accounts, sessions, login attempts, audit log), beside the petitions store's tables.

They have their own metadata, apart from the petitions models, but the petitions store's Alembic migrations create
and change them (petitions/migrations/versions/0006_console_tables.py); tests/test_console_schema.py checks that the
two never drift apart. Every name starts with "console_".
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Engine, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from petitions.models import NAMING


class ConsoleBase(DeclarativeBase):
    # Same constraint naming as the petitions tables: both live in one database, so names must never collide.
    metadata = MetaData(naming_convention=NAMING)


class User(ConsoleBase):
    __tablename__ = "console_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str | None] = mapped_column(String(64))
    # A commune's People's Committee shares the agency code "ubnd-cap-xa"; its operators are narrowed to their
    # own commune (a commune code of the commune directory).
    commune: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginSession(ConsoleBase):
    """A signed-in browser; the cookie holds a random token, the table only its hash (a leaked table logs no one in)."""

    __tablename__ = "console_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(ConsoleBase):
    __tablename__ = "console_login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_console_login_attempt_username_at", "username", "at"),
        Index("ix_console_login_attempt_client_at", "client", "at"),
        Index("ix_console_login_attempt_ok_at", "ok", "at"),  # the audit page's failed logins
    )


class AuditEntry(ConsoleBase):
    """Who did what to which petition (or account, or document), when, and the state before and after (JSON)."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), index=True)
    agency: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_console_audit_action_at", "action", "at"),)


def create_schema(engine: Engine) -> None:
    """Bring the console tables up to date: they are part of the petitions store's migrations (revision 0006),
    which also upgrade a database whose console tables an older version made with `create_all`."""
    from petitions.migrations import upgrade

    upgrade(engine)


def utcnow() -> datetime:
    return datetime.now(UTC)
