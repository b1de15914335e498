"""The durable petitions store: every accepted petition is written once, in one transaction, and never lost.

SQLite (WAL, foreign keys on) by default, PostgreSQL through its URL. Callers get plain frozen records, never ORM
objects, so a web page or an action can keep them after the session is gone. Each record is checked before it is
written; a redelivered chat message carries the same idempotency key and gets the petition created the first time.
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, make_url, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.pool import StaticPool

from nlp.text import fold
from petitions import codes
from petitions.models import MAX_ANSWER, MAX_TEXT, OPEN_STATUSES, STATUSES, TRANSITIONS, Petition, StatusChange
from petitions.phone import normalize_phone
from petitions.records import (  # noqa: F401 - re-exported: the store's API speaks in these records
    AGENCY_RE,
    BAD_CHARS,
    VN_TZ,
    CreateResult,
    HistoryEntry,
    NewPetition,
    PetitionFilter,
    PetitionInvalid,
    PetitionRecord,
    aware,
    check_text,
    validate_new,
    vn_today,
)

log = logging.getLogger(__name__)

_CODE_ATTEMPTS = 8


class PetitionNotFound(LookupError):
    """No petition has this tracking code."""


class InvalidTransition(ValueError):
    """The requested status change is not allowed from the current status."""


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(value: str, purpose: str) -> str:
    return hashlib.sha256(f"danvan:{purpose}:{value}".encode()).hexdigest()


def owner_key(sender_id: str) -> str:
    """One-way key of a chat identity; the same chat can prove ownership without its raw id being stored."""
    return _hash(sender_id, "owner")


def _to_record(row: Petition, with_history: bool = True) -> PetitionRecord:
    history = ()
    if with_history:
        history = tuple(
            HistoryEntry(h.from_status, h.to_status, h.actor, h.note, aware(h.at)) for h in row.history
        )
    return PetitionRecord(
        id=row.id,
        code=row.code,
        channel=row.channel,
        sender_id=row.sender_id,
        consent_given=bool(row.consent_given),
        consent_at=aware(row.consent_at),
        consent_text=row.consent_text,
        contact_phone=row.contact_phone,
        text=row.text,
        commune_name=row.commune_name,
        commune_matched=bool(row.commune_matched),
        commune_code=row.commune_code,
        agency=row.agency,
        topic=row.topic,
        confidence=float(row.confidence),
        kind=row.kind,
        status=row.status,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        due_date=row.due_date,
        answer=row.answer,
        answered_at=aware(row.answered_at),
        answered_by=row.answered_by,
        delivery_state=row.delivery_state,
        delivery_attempts=row.delivery_attempts,
        delivery_error=row.delivery_error,
        delivered_at=aware(row.delivered_at),
        history=history,
    )


def _search_text(p: Petition) -> str:
    return fold(" ".join(x for x in (p.code, p.topic, p.commune_name or "", p.text) if x))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _make_private(db_path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite would create it with the umask's mode
    (usually 0644): it holds citizens' names, phone numbers and messages. SQLite gives its -wal and -shm files the
    database file's mode. A file left readable by others by an older version is tightened."""
    try:
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
        return
    except FileExistsError:
        pass
    try:
        if db_path.stat().st_mode & 0o077:
            db_path.chmod(0o600)
            log.warning("petitions database %s was readable by other users; made it owner-only", db_path)
    except OSError as exc:
        log.warning("cannot make %s owner-only: %s", db_path, exc)


def make_engine(url: str) -> Engine:
    """An engine with the per-database settings the store relies on.

    `hide_parameters` keeps petition texts and phone numbers out of SQL logs (`danvan -v`) and error messages.
    """
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
            )
        else:
            db_path = url.split(":///", 1)[-1].split("?", 1)[0]
            if db_path:
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
                _make_private(Path(db_path))
            engine = create_engine(
                url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True
            )
        _configure_sqlite(engine)
        return engine
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # SQLAlchemy 2.1 defaults to psycopg 3; the project ships psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)


class PetitionStore:
    """Create, find, list and move petitions through their statuses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"PetitionStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        from petitions.migrations import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def _row(self, session: Session, code: str, *, lock: bool = False) -> Petition:
        normalized = codes.normalize_code(code)
        stmt = select(Petition).where(Petition.code == (normalized or code))
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise PetitionNotFound(code)
        return row

    # -- creating ---------------------------------------------------------------------------------------------------

    def create(self, new: NewPetition, *, actor: str = "he-thong") -> CreateResult:
        """Store a petition once per idempotency key; a repeat returns the first one with `created=False`."""
        new = validate_new(new)
        key = _hash(new.idempotency_key, "idempotency")
        existing = self._by_key(key)
        if existing is not None:
            return CreateResult(existing, created=False)
        for _ in range(_CODE_ATTEMPTS):
            now = _now()
            row = Petition(
                code=codes.new_code(),
                idempotency_key=key,
                channel=new.channel,
                sender_id=new.sender_id if new.consent_given else None,
                owner_key=owner_key(new.sender_id),
                consent_given=new.consent_given,
                consent_at=new.consent_at if new.consent_given else None,
                consent_text=new.consent_text,
                contact_phone=new.contact_phone,
                text=new.text,
                commune_name=new.commune_name,
                commune_matched=new.commune_matched,
                commune_code=new.commune_code,
                agency=new.agency,
                topic=new.topic or "",
                confidence=float(new.confidence),
                kind=new.kind,
                status="moi",
                created_at=now,
                updated_at=now,
                due_date=new.due_date,
                delivery_state="none" if new.consent_given else "not-deliverable",
                delivery_attempts=0,
            )
            row.search_text = _search_text(row)
            row.commune_key = fold(new.commune_name) if new.commune_name else None
            row.history.append(StatusChange(from_status=None, to_status="moi", actor=actor, note=None, at=now))
            try:
                with self._tx() as session:
                    session.add(row)
                    session.flush()
                    record = _to_record(row)
            except IntegrityError:
                existing = self._by_key(key)
                if existing is not None:  # the same message, delivered twice at once
                    return CreateResult(existing, created=False)
                continue  # a tracking code collision: draw another one
            log.info("petition %s stored (agency=%s, kind=%s)", record.code, record.agency, record.kind)
            return CreateResult(record, created=True)
        raise RuntimeError("could not draw an unused tracking code")

    def _by_key(self, key_hash: str) -> PetitionRecord | None:
        with self._tx() as session:
            row = session.scalars(
                select(Petition).options(selectinload(Petition.history)).where(Petition.idempotency_key == key_hash)
            ).one_or_none()
            return _to_record(row) if row else None

    # -- reading ----------------------------------------------------------------------------------------------------

    def get_by_code(self, code: str) -> PetitionRecord | None:
        """The petition with this tracking code (typed loosely), or None."""
        normalized = codes.normalize_code(code)
        if normalized is None:
            return None
        with self._tx() as session:
            row = session.scalars(
                select(Petition).options(selectinload(Petition.history)).where(Petition.code == normalized)
            ).one_or_none()
            return _to_record(row) if row else None

    def lookup_for_citizen(self, code: str, sender_id: str | None, phone: str | None = None) -> PetitionRecord | None:
        """The petition only for its owner (same chat identity) or for someone who gives the phone used at filing.

        A wrong code, someone else's code and a bad check character all give None: the answer never tells a stranger
        whether a code exists.
        """
        if not codes.validate(code or ""):
            return None
        record = self.get_by_code(code)
        if record is None:
            return None
        if sender_id and owner_key(sender_id) == self._owner_key(record.id):
            return record
        wanted = normalize_phone(phone) if phone else None
        if wanted and record.contact_phone and wanted == record.contact_phone:
            return record
        return None

    def for_owner(self, sender_id: str, *, limit: int = 10) -> list[PetitionRecord]:
        """The newest petitions filed from this chat identity (anonymous ones too: matched by the one-way key)."""
        with self._tx() as session:
            rows = session.scalars(
                select(Petition).where(Petition.owner_key == owner_key(sender_id))
                .order_by(Petition.created_at.desc(), Petition.id.desc()).limit(limit)
            ).all()
            return [_to_record(row, with_history=False) for row in rows]

    def _owner_key(self, petition_id: int) -> str:
        with self._tx() as session:
            return session.scalar(select(Petition.owner_key).where(Petition.id == petition_id)) or ""

    def _filtered(self, f: PetitionFilter):  # noqa: ANN202 - a Select
        stmt = select(Petition)
        if f.status:
            statuses = [f.status] if isinstance(f.status, str) else list(f.status)
            stmt = stmt.where(Petition.status.in_(statuses))
        if f.agency:
            stmt = stmt.where(Petition.agency == f.agency)
        if f.kind:
            stmt = stmt.where(Petition.kind == f.kind)
        if f.commune:
            stmt = stmt.where(or_(Petition.commune_code == f.commune, Petition.commune_key == fold(f.commune)))
        if f.overdue is not None:
            today = f.today or vn_today()
            late = (Petition.status.in_(OPEN_STATUSES)) & (Petition.due_date < today)
            stmt = stmt.where(late if f.overdue else ~late | Petition.due_date.is_(None))
        if f.created_from:
            stmt = stmt.where(Petition.created_at >= _vn_day_start(f.created_from))
        if f.created_to:
            stmt = stmt.where(Petition.created_at < _vn_day_start(f.created_to + timedelta(days=1)))
        if f.text and f.text.strip():
            needle = _escape_like(fold(f.text.strip()))
            stmt = stmt.where(Petition.search_text.like(f"%{needle}%", escape="\\"))
        return stmt

    def list(
        self, filters: PetitionFilter | None = None, *, limit: int = 50, offset: int = 0, newest_first: bool = True
    ) -> list[PetitionRecord]:
        """Petitions matching the filters, newest first by default (without their history, for speed)."""
        stmt = self._filtered(filters or PetitionFilter())
        order = Petition.created_at.desc() if newest_first else Petition.created_at.asc()
        stmt = stmt.order_by(order, Petition.id.desc() if newest_first else Petition.id.asc())
        stmt = stmt.limit(max(0, min(limit, 1000))).offset(max(0, offset))
        with self._tx() as session:
            return [_to_record(r, with_history=False) for r in session.scalars(stmt)]

    def count(self, filters: PetitionFilter | None = None) -> int:
        stmt = self._filtered(filters or PetitionFilter()).with_only_columns(func.count(Petition.id))
        with self._tx() as session:
            return int(session.scalar(stmt) or 0)

    def counts_by(self, column: str, filters: PetitionFilter | None = None) -> dict[str, int]:
        """Number of petitions per status, agency, kind or commune (for the console's charts)."""
        allowed = {"status": Petition.status, "agency": Petition.agency, "kind": Petition.kind,
                   "commune": Petition.commune_name}
        col = allowed[column]
        stmt = self._filtered(filters or PetitionFilter()).with_only_columns(col, func.count(Petition.id))
        stmt = stmt.group_by(col)
        with self._tx() as session:
            return {(k or ""): int(n) for k, n in session.execute(stmt)}

    def recent(self, since: datetime, *, until: datetime | None = None) -> list[PetitionRecord]:
        """Petitions created in a time window, oldest first (input of hotspot detection)."""
        stmt = select(Petition).where(Petition.created_at >= since)
        if until is not None:
            stmt = stmt.where(Petition.created_at <= until)
        stmt = stmt.order_by(Petition.created_at.asc(), Petition.id.asc())
        with self._tx() as session:
            return [_to_record(r, with_history=False) for r in session.scalars(stmt)]

    def pending_deliveries(self, *, max_attempts: int = 5, limit: int = 100) -> list[PetitionRecord]:
        """Answered petitions whose answer still has to reach the citizen's chat."""
        stmt = (
            select(Petition)
            .where(Petition.delivery_state.in_(("pending", "failed")))
            .where(Petition.delivery_attempts < max_attempts)
            .order_by(Petition.answered_at.asc(), Petition.id.asc())
            .limit(limit)
        )
        with self._tx() as session:
            return [_to_record(r, with_history=False) for r in session.scalars(stmt)]

    # -- changing ---------------------------------------------------------------------------------------------------

    def transition(self, code: str, to_status: str, actor: str, note: str | None = None) -> PetitionRecord:
        """Move a petition to another status, recording who did it and why."""
        if to_status not in STATUSES:
            raise InvalidTransition(f"unknown status {to_status!r}")
        check_text("actor", actor, max_len=128)
        check_text("note", note, max_len=MAX_TEXT, required=False)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if to_status not in TRANSITIONS[row.status]:
                raise InvalidTransition(f"{row.status} → {to_status} is not allowed")
            self._change(row, to_status, actor, note)
            session.flush()
            return _to_record(row)

    def reassign(self, code: str, agency: str, actor: str, note: str | None = None) -> PetitionRecord:
        """Send a petition to another agency (an operator's triage); kept in the history."""
        if not AGENCY_RE.match(agency or ""):
            raise PetitionInvalid("agency", "not an agency code")
        check_text("actor", actor, max_len=128)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            previous = row.agency
            row.agency = agency
            text = f"Chuyển từ {previous} sang {agency}" + (f": {note}" if note else "")
            self._change(row, row.status, actor, text)
            session.flush()
            return _to_record(row)

    def set_commune(self, code: str, name: str, commune_code: str | None, actor: str) -> PetitionRecord:
        """An operator fixes the commune of a petition whose typed name could not be matched."""
        check_text("commune_name", name, max_len=200)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            row.commune_name = name
            row.commune_code = commune_code
            row.commune_matched = commune_code is not None
            row.commune_key = fold(name)
            row.search_text = _search_text(row)
            self._change(row, row.status, actor, f"Cập nhật xã/phường: {name}")
            session.flush()
            return _to_record(row)

    def set_answer(self, code: str, answer: str, actor: str) -> PetitionRecord:
        """Record the agency's answer; it becomes visible to the citizen and is queued for delivery to the chat."""
        check_text("answer", answer, max_len=MAX_ANSWER)
        check_text("actor", actor, max_len=128)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if row.status != "da-tra-loi" and "da-tra-loi" not in TRANSITIONS[row.status]:
                raise InvalidTransition(f"cannot answer a petition in status {row.status}")
            now = _now()
            row.answer = answer.strip()
            row.answered_at = now
            row.answered_by = actor
            if row.delivery_state != "not-deliverable":
                row.delivery_state = "pending"
                row.delivery_attempts = 0
                row.delivery_error = None
            if row.status != "da-tra-loi":
                self._change(row, "da-tra-loi", actor, None, now=now)
            else:
                self._change(row, "da-tra-loi", actor, "Cập nhật nội dung trả lời", now=now)
            session.flush()
            return _to_record(row)

    def record_delivery(self, code: str, ok: bool, error: str | None = None) -> PetitionRecord:
        """Note one attempt to send the answer to the citizen's chat."""
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if row.delivery_state not in ("pending", "failed", "sent"):
                raise InvalidTransition(f"no delivery expected in state {row.delivery_state}")
            row.delivery_attempts += 1
            if ok:
                row.delivery_state = "sent"
                row.delivered_at = _now()
                row.delivery_error = None
            else:
                row.delivery_state = "failed"
                row.delivery_error = BAD_CHARS.sub(" ", (error or "unknown error"))[:500]
            session.flush()
            return _to_record(row)

    def _change(
        self, row: Petition, to_status: str, actor: str, note: str | None, *, now: datetime | None = None
    ) -> None:
        now = now or _now()
        row.history.append(StatusChange(from_status=row.status, to_status=to_status, actor=actor, note=note, at=now))
        row.status = to_status
        row.updated_at = now


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _vn_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(UTC)

