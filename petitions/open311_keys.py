"""API keys of Open311 partners (FixMyStreet-like apps that file petitions on behalf of citizens).

A key is shown once, when `danvan partner add` issues it; the database keeps only its SHA-256. The key is 32 random
bytes, so a plain hash is enough (no password stretching: there is nothing to guess), and finding a partner is one
indexed lookup by that hash. Each partner has its own limit of petitions per minute.

The table lives in the petitions database and is created by the petitions migrations (0002); it has its own
metadata so that `petitions.models.Base` keeps describing the petitions themselves.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Integer, MetaData, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from petitions.models import NAMING
from petitions.vn_time import aware

log = logging.getLogger(__name__)

KEY_PREFIX = "dv311_"
DEFAULT_PER_MINUTE = 30
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class PartnerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PartnerRow(PartnerBase):
    __tablename__ = "open311_partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, to tell keys apart in listings
    per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PartnerError(ValueError):
    """A partner that cannot be created or changed; the message is English, for the command line."""


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    key_hint: str
    per_minute: int
    created_at: datetime
    active: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(f"danvan:open311:{key}".encode()).hexdigest()


def _partner(row: PartnerRow) -> Partner:
    return Partner(row.id, row.name, row.key_hint, row.per_minute, aware(row.created_at) or row.created_at,
                   row.revoked_at is None)


class PartnerKeys:
    """Issue, check, list and revoke partners' keys."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @staticmethod
    def _new_key() -> str:
        return KEY_PREFIX + secrets.token_urlsafe(32)

    def add(self, name: str, *, per_minute: int = DEFAULT_PER_MINUTE) -> tuple[Partner, str]:
        """A new partner and its key (returned once, never stored)."""
        if not _NAME_RE.match(name or ""):
            raise PartnerError(f"bad partner name {name!r}: lowercase letters, digits and dashes, 2-64 characters")
        if per_minute < 1:
            raise PartnerError("--per-minute must be at least 1")
        key = self._new_key()
        row = PartnerRow(name=name, key_hash=hash_key(key), key_hint=key[: len(KEY_PREFIX) + 4],
                         per_minute=per_minute, created_at=datetime.now(UTC), revoked_at=None)
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                partner = _partner(row)
        except IntegrityError as exc:
            raise PartnerError(f"a partner named {name!r} exists already") from exc
        log.info("open311 partner %s added", name)
        return partner, key

    def rotate(self, name: str) -> tuple[Partner, str]:
        """A new key for the partner (the old one stops working at once); also re-activates a revoked partner."""
        key = self._new_key()
        with self._sessions.begin() as session:
            row = session.scalars(select(PartnerRow).where(PartnerRow.name == name)).one_or_none()
            if row is None:
                raise PartnerError(f"no partner named {name!r}")
            row.key_hash, row.key_hint, row.revoked_at = hash_key(key), key[: len(KEY_PREFIX) + 4], None
            session.flush()
            return _partner(row), key

    def revoke(self, name: str) -> Partner:
        with self._sessions.begin() as session:
            row = session.scalars(select(PartnerRow).where(PartnerRow.name == name)).one_or_none()
            if row is None:
                raise PartnerError(f"no partner named {name!r}")
            row.revoked_at = row.revoked_at or datetime.now(UTC)
            session.flush()
            return _partner(row)

    def set_limit(self, name: str, per_minute: int) -> Partner:
        if per_minute < 1:
            raise PartnerError("--per-minute must be at least 1")
        with self._sessions.begin() as session:
            row = session.scalars(select(PartnerRow).where(PartnerRow.name == name)).one_or_none()
            if row is None:
                raise PartnerError(f"no partner named {name!r}")
            row.per_minute = per_minute
            session.flush()
            return _partner(row)

    def list(self) -> list[Partner]:
        with self._sessions.begin() as session:
            return [_partner(r) for r in session.scalars(select(PartnerRow).order_by(PartnerRow.name))]

    def check(self, key: str | None) -> Partner | None:
        """The active partner holding this key, or None (a missing, unknown or revoked key)."""
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 128:
            return None
        with self._sessions.begin() as session:
            row = session.scalars(select(PartnerRow).where(PartnerRow.key_hash == hash_key(key))).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            return _partner(row)
