"""Operator accounts: argon2 password hashes, lockout after repeated failures, server-side login sessions.

Sessions live in the database rather than in a signed cookie so that logging out, disabling a user or changing a
password really ends them. A login for an unknown user name costs the same argon2 work as a wrong password, so the
timing does not tell which names exist.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from console.tables import LoginAttempt, LoginSession, User, create_schema, utcnow
from petitions.codes import AGENCY_RE
from petitions.records import stored_at

log = logging.getLogger(__name__)

ROLES = ("admin", "operator")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# Login attempts (name, client address, time, success) are kept this long for investigating incidents.
LOGIN_ATTEMPTS_KEPT = timedelta(days=30)
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
    words = (line.strip().casefold() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


_COMMON: frozenset[str] | None = None
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def is_common_password(password: str, username: str = "") -> bool:
    """A password from the list of common ones (console/data/common_passwords.txt), also with digits or symbols
    around it or capitals ("Matkhau@2024"), the user name, or one short pattern repeated ("abcabcabcabc")."""
    global _COMMON
    if _COMMON is None:
        _COMMON = _common_passwords()
    folded = unicodedata.normalize("NFC", password).casefold().strip()
    compact = re.sub(r"[\s._-]+", "", folded)
    core = _EDGES.sub("", compact)
    if {folded, compact, core} & _COMMON:
        return True
    name = re.sub(r"[\s._-]+", "", (username or "").casefold())
    if name and (core == name or compact == name or (len(name) >= 4 and core.startswith(name) and
                                                      len(core) - len(name) < 4)):
        return True
    for size in range(1, len(compact) // 2 + 1):  # "aaaaaaaaaa", "1234512345", "abcabcabcabc"
        if len(compact) % size == 0 and compact == compact[:size] * (len(compact) // size):
            return True
    return False


class AccountError(ValueError):
    """A user or password that cannot be accepted; the message is English, for the command line."""


class LoginFailed(Exception):
    """Wrong user name or password (deliberately not saying which)."""


class AccountLocked(Exception):
    """Too many recent failures for this user name or this client; `until` is when it opens again."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


class Placed(Protocol):
    """What visibility is decided on: a petition's agency and commune (a full record or a hotspot's member)."""

    @property
    def agency(self) -> str: ...

    @property
    def commune_code(self) -> str | None: ...


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    agency: str | None
    active: bool
    commune: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, agency: str, commune_code: str | None = None) -> bool:
        """Admins see everything; an operator their agency's petitions (and only their commune's, if narrowed)."""
        if self.is_admin:
            return True
        return agency == self.agency and (self.commune is None or commune_code == self.commune)

    def sees_record(self, record: Placed) -> bool:
        return self.sees(record.agency, record.commune_code)


@dataclass(frozen=True)
class SignedIn:
    """A live session: the account and the CSRF token every form of this session must carry."""

    account: Account
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class LockoutPolicy:
    """`failures` wrong passwords for one user name within `window` lock that name for `lock_for`.

    One client address trying many names is only slowed down: after `client_free_failures` failures within the
    window each further attempt waits `client_delay_s`, doubling up to `client_max_delay_s`, and a correct password
    still signs in. A lock per address would lock out every operator behind the same proxy or NAT.
    """

    failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)
    client_free_failures: int = 5
    client_delay_s: float = 1.0
    client_max_delay_s: float = 8.0


def normalize_username(username: str) -> str:
    return (username or "").strip().casefold()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: User) -> Account:
    return Account(id=row.id, username=row.username, role=row.role, agency=row.agency, active=bool(row.active),
                   commune=row.commune)


class Accounts:
    """Users, logins and sessions of the console, kept in the console's tables."""

    def __init__(
        self,
        engine: Engine,
        *,
        lockout: LockoutPolicy | None = None,
        session_idle: timedelta = timedelta(hours=2),
        session_max: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.lockout = lockout or LockoutPolicy()
        self.session_idle = session_idle
        self.session_max = session_max
        self.clock = clock
        self._hasher = PasswordHasher()
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against for unknown user names, so they cost as much as a wrong password."""
        return self._hasher.hash(secrets.token_urlsafe(16))

    def ensure_schema(self) -> None:
        create_schema(self.engine)

    def _tx(self) -> AbstractContextManager[Session]:
        return self._sessions.begin()

    # -- accounts ---------------------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: str, agency: str | None = None,
                 commune: str | None = None) -> Account:
        """Create an account; an operator must belong to an agency (and may be narrowed to one commune)."""
        name = normalize_username(username)
        if not _USERNAME_RE.match(name):
            raise AccountError("user name must be 3-64 characters: letters a-z, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role must be one of: {', '.join(ROLES)}")
        if role == "operator" and not agency:
            raise AccountError("an operator needs --agency CODE")
        if agency is not None and not AGENCY_RE.match(agency):
            raise AccountError(f"not an agency code: {agency!r}")
        if commune is not None and (role != "operator" or not AGENCY_RE.match(commune)):
            raise AccountError("--commune CODE narrows an operator to one commune")
        self._check_password(password, name)
        now = self.clock()
        row = User(username=name, password_hash=self._hasher.hash(password), role=role, agency=agency or None,
                   commune=commune or None, active=True, created_at=now, password_changed_at=now)
        try:
            with self._tx() as session:
                session.add(row)
                session.flush()
                return _account(row)
        except IntegrityError as exc:
            raise AccountError(f"user {name!r} already exists") from exc

    def set_password(self, username: str, password: str) -> Account:
        """Change a password; every open session of the user ends."""
        self._check_password(password, normalize_username(username))
        with self._tx() as session:
            row = self._user_row(session, username)
            row.password_hash = self._hasher.hash(password)
            row.password_changed_at = self.clock()
            session.execute(delete(LoginSession).where(LoginSession.user_id == row.id))
            return _account(row)

    def set_active(self, username: str, active: bool) -> Account:
        with self._tx() as session:
            row = self._user_row(session, username)
            row.active = active
            if not active:
                session.execute(delete(LoginSession).where(LoginSession.user_id == row.id))
            return _account(row)

    def unlock(self, username: str) -> None:
        """Forget the recent failures of a user name (an admin's help after a lockout)."""
        with self._tx() as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.username == normalize_username(username),
                                                       LoginAttempt.ok.is_(False)))

    def get(self, username: str) -> Account | None:
        with self._tx() as session:
            row = session.scalars(select(User).where(User.username == normalize_username(username))).one_or_none()
            return _account(row) if row else None

    def list_users(self) -> list[Account]:
        with self._tx() as session:
            return [_account(r) for r in session.scalars(select(User).order_by(User.username))]

    def _user_row(self, session: Session, username: str) -> User:
        row = session.scalars(select(User).where(User.username == normalize_username(username))).one_or_none()
        if row is None:
            raise AccountError(f"no user {normalize_username(username)!r}")
        return row

    @staticmethod
    def _check_password(password: str, username: str = "") -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError("password too long")
        if is_common_password(password, username):
            raise AccountError("password is too common or too easy to guess (a well-known password, the user name, "
                               "or one repeated pattern); choose a longer phrase of unrelated words")

    # -- logging in -------------------------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, client: str = "") -> Account:
        """The account for a correct name and password; LoginFailed or AccountLocked otherwise (each attempt logged)."""
        name = normalize_username(username)[:64]
        client = (client or "")[:64]
        now = self.clock()
        locked_until = self._locked_until(name, now)
        if locked_until is not None:
            raise AccountLocked(locked_until)
        with self._tx() as session:
            row = session.scalars(select(User).where(User.username == name)).one_or_none()
        ok = self._verify(row.password_hash if row else self._dummy_hash, password or "")
        ok = ok and row is not None and bool(row.active)
        with self._tx() as session:
            session.add(LoginAttempt(username=name, client=client, ok=ok, at=now))
            if ok and row is not None and self._hasher.check_needs_rehash(row.password_hash):
                user = session.get(User, row.id)
                if user is not None:
                    user.password_hash = self._hasher.hash(password)
        if not ok or row is None:  # ok implies a row: the second test only tells the type checker
            log.info("console login failed")
            raise LoginFailed()
        return _account(row)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False

    def locked_until(self, username: str) -> datetime | None:
        """The end of the lock on this user name, or None when it may sign in (for the audit log's lockouts)."""
        return self._locked_until(normalize_username(username)[:64], self.clock())

    def _locked_until(self, name: str, now: datetime) -> datetime | None:
        """When the name has failed too often within the window, the end of its lock."""
        policy = self.lockout
        since = now - max(policy.window, policy.lock_for)
        with self._tx() as session:
            last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(
                LoginAttempt.username == name, LoginAttempt.ok.is_(True)))
            floor = max(since, stored_at(last_ok)) if last_ok else since
            times = [stored_at(t) for t in session.scalars(select(LoginAttempt.at).where(
                LoginAttempt.username == name, LoginAttempt.ok.is_(False), LoginAttempt.at > floor,
            ).order_by(LoginAttempt.at))]
        limit = policy.failures
        # Locked when `limit` failures fall inside one window; the lock runs from the last of them.
        for i in range(len(times) - limit + 1):
            if times[i + limit - 1] - times[i] <= policy.window:
                until = times[-1] + policy.lock_for
                if until > now:
                    return until
        return None

    def client_delay(self, client: str) -> float:
        """Seconds the next login attempt from `client` waits: 0 up to the free failures, then doubling, capped."""
        policy = self.lockout
        if not client:
            return 0.0
        since = self.clock() - policy.window
        with self._tx() as session:
            failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.client == client[:64], LoginAttempt.ok.is_(False), LoginAttempt.at > since)) or 0
        extra = failures - policy.client_free_failures
        if extra <= 0:
            return 0.0
        return min(policy.client_max_delay_s, policy.client_delay_s * 2 ** min(extra - 1, 16))

    # -- sessions ---------------------------------------------------------------------------------------------------

    def open_session(self, account: Account) -> tuple[str, SignedIn]:
        """A new session for a signed-in account; returns the cookie token (shown once, stored only hashed)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        csrf = secrets.token_urlsafe(32)
        expires = now + self.session_max
        with self._tx() as session:
            session.add(LoginSession(token_hash=_token_hash(token), user_id=account.id, csrf_token=csrf,
                                     created_at=now, last_seen_at=now, expires_at=expires))
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_ATTEMPTS_KEPT))
        return token, SignedIn(account, csrf, expires)

    def resume(self, token: str | None) -> SignedIn | None:
        """The live session behind a cookie token, or None when it is unknown, expired, idle too long or disabled."""
        if not token or len(token) > 128:
            return None
        now = self.clock()
        with self._tx() as session:
            row = session.get(LoginSession, _token_hash(token))
            if row is None:
                return None
            user = session.get(User, row.user_id)
            idle_end = stored_at(row.last_seen_at) + self.session_idle
            if user is None or not user.active or stored_at(row.expires_at) <= now or idle_end <= now:
                session.delete(row)
                return None
            if now - stored_at(row.last_seen_at) > timedelta(seconds=30):
                row.last_seen_at = now
            return SignedIn(_account(user), row.csrf_token, min(stored_at(row.expires_at), now + self.session_idle))

    def close_session(self, token: str | None) -> None:
        if not token:
            return
        with self._tx() as session:
            session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
