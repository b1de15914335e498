"""The durable petitions store: every accepted petition is written once, in one transaction, and never lost.

SQLite (WAL, foreign keys on) by default, PostgreSQL through its URL. Callers get plain frozen records, never ORM
objects, so a web page or an action can keep them after the session is gone. Each record is checked before it is
written; a redelivered chat message carries the same idempotency key and gets the petition created the first time.
"""
from __future__ import annotations

import builtins
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Engine, Float, String, case, cast, create_engine, event, func, make_url, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement, aggregate_strings

from nlp.text import fold
from petitions import codes
from petitions.models import (
    MAX_ANSWER,
    MAX_TEXT,
    OPEN_STATUSES,
    RATING_VERDICTS,
    STATUSES,
    TRANSITIONS,
    Petition,
    Rating,
    Status,
    StatusChange,
)
from petitions.outbox import enqueue as enqueue_notice
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
    stored_at,
    validate_new,
    vn_today,
)

if TYPE_CHECKING:  # numpy is imported where hotspots need it: the store's other users do without
    import numpy as np

log = logging.getLogger(__name__)

_CODE_ATTEMPTS = 8


# Status changes the citizen is told about: (from, to) -> notice event; None as "from" means from any status.
_TRANSITION_NOTICES: dict[tuple[str | None, str], str] = {
    (Status.NEW, Status.IN_PROGRESS): "accepted",
    (None, Status.CLOSED): "closed",
    (None, Status.NOT_HANDLED): "rejected",
}


@dataclass(frozen=True, slots=True)
class PlaceArrivals:
    """Petitions sharing commune code, commune name, topic and agency (the raw columns a hotspot's place and matter
    are made of), as one group the database formed: aligned arrays in no particular order. Times are whole
    microseconds since 1970 UTC, exact and cheap to compare by the thousand."""

    commune_code: str | None
    commune_name: str | None
    topic: str
    agency: str
    times: np.ndarray  # int64
    ids: np.ndarray  # int64
    codes: tuple[str, ...]


def _int_array(joined: str) -> np.ndarray:
    """Integers the database joined with commas, parsed in C."""
    import numpy

    return numpy.fromstring(joined, dtype=numpy.int64, sep=",")


class _EpochMicros(FunctionElement[int]):
    """A stored time as whole microseconds since 1970 (UTC), exact on both databases: PostgreSQL computes it from
    its timestamp; SQLite from the text SQLAlchemy stores ("YYYY-MM-DD HH:MM:SS.ffffff", always six digits)."""

    type = BigInteger()
    name = "epoch_us"
    inherit_cache = True


@compiles(_EpochMicros)
def _epoch_us(element: _EpochMicros, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(column, **kw)}) * 1000000 AS BIGINT)"


@compiles(_EpochMicros, "sqlite")
def _epoch_us_sqlite(element: _EpochMicros, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    sql = compiler.process(column, **kw)
    # unixepoch() (SQLite 3.38) is a sixth cheaper than strftime('%s') over weeks of petitions.
    version = getattr(compiler.dialect.dbapi, "sqlite_version_info", (0,))
    seconds = f"unixepoch({sql})" if version >= (3, 38) else f"CAST(strftime('%s', {sql}) AS INTEGER)"
    return f"({seconds} * 1000000 + CAST(substr({sql}, 21, 6) AS INTEGER))"


class _DaysBetween(FunctionElement[float]):
    """Days from one stored time to another on SQLite, as a float to the millisecond (the overview shows tenths of a
    day): julianday() is four times cheaper there than the exact microseconds of `_EpochMicros`. PostgreSQL
    subtracts its timestamps exactly and needs no such function."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(_DaysBetween, "sqlite")
def _days_between(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


class PetitionNotFound(LookupError):
    """No petition has this tracking code."""


class InvalidTransition(ValueError):
    """The requested status change is not allowed from the current status."""


# Who the history names when the citizen's own verdict reopens a petition.
CITIZEN_ACTOR = "nguoi-dan"


@dataclass(frozen=True)
class RatingEntry:
    """One verdict of the citizen on an answer, as the console shows it."""

    verdict: str  # resolved, unresolved, neutral
    score: int | None
    reason: str | None
    reopened: bool
    agency: str  # the agency whose answer was rated
    at: datetime


@dataclass(frozen=True)
class RatingRates:
    """Answers of one agency rated by citizens: how many, how many resolved, how many reopened."""

    rated: int
    resolved: int
    reopened: int

    @property
    def satisfaction(self) -> float | None:
        return self.resolved / self.rated if self.rated else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.rated if self.rated else None


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(value: str, purpose: str) -> str:
    return hashlib.sha256(f"danvan:{purpose}:{value}".encode()).hexdigest()


def owner_key(sender_id: str) -> str:
    """One-way key of a chat identity; the same chat can prove ownership without its raw id being stored."""
    return _hash(sender_id, "owner")


def _to_record(row: Petition, with_history: bool = True) -> PetitionRecord:
    history: tuple[HistoryEntry, ...] = ()
    if with_history:
        history = tuple(
            HistoryEntry(h.from_status, h.to_status, h.actor, h.note, stored_at(h.at)) for h in row.history
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
        created_at=stored_at(row.created_at),
        updated_at=stored_at(row.updated_at),
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
                status=Status.NEW,
                created_at=now,
                updated_at=now,
                due_date=new.due_date,
                delivery_state="none" if new.consent_given else "not-deliverable",
                delivery_attempts=0,
            )
            row.search_text = _search_text(row)
            row.commune_key = fold(new.commune_name) if new.commune_name else None
            row.history.append(StatusChange(from_status=None, to_status=Status.NEW, actor=actor, note=None, at=now))
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
        if f.triage:
            stmt = stmt.where(Petition.triage_state == "pending")
        if f.created_from:
            stmt = stmt.where(Petition.created_at >= _vn_day_start(f.created_from))
        if f.created_to:
            stmt = stmt.where(Petition.created_at < _vn_day_start(f.created_to + timedelta(days=1)))
        if f.text and f.text.strip():
            needle = _escape_like(fold(f.text.strip()))
            stmt = stmt.where(Petition.search_text.like(f"%{needle}%", escape="\\"))
        return stmt

    # In the class body below this method, `list` names it: later annotations spell out `builtins.list`.
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

    def queue_page(self, filters: PetitionFilter | None = None, *, limit: int = 50, offset: int = 0
                   ) -> builtins.list[PetitionRecord]:
        """One page of the operators' queue, sorted and cut in SQL (see `queue_order`).

        The ids of the page are chosen first, reading only indexed columns; then just those rows are loaded. The
        database sorts (a top-N sort when it has no index for the order), so a page costs the same at any size.
        """
        ids_stmt = (self._filtered(filters or PetitionFilter()).with_only_columns(Petition.id)
                    .order_by(*queue_order()).limit(max(0, min(limit, 1000))).offset(max(0, offset)))
        with self._tx() as session:
            ids = list(session.scalars(ids_stmt))
            if not ids:
                return []
            rows = {r.id: r for r in session.scalars(select(Petition).where(Petition.id.in_(ids)))}
            return [_to_record(rows[i], with_history=False) for i in ids if i in rows]

    def iter_queue(self, filters: PetitionFilter | None = None, *, batch: int = 500) -> Iterator[PetitionRecord]:
        """Every matching petition in queue order, streamed: one query read in batches (a server-side cursor on
        PostgreSQL), so an export of any size holds only one batch in memory and costs time linear in its rows."""
        stmt = (self._filtered(filters or PetitionFilter()).order_by(*queue_order())
                .execution_options(yield_per=batch))
        with self._tx() as session:
            for row in session.scalars(stmt):
                yield _to_record(row, with_history=False)

    def count(self, filters: PetitionFilter | None = None) -> int:
        # count(*), not count(id): the database may then answer from an index alone (PostgreSQL: 7 ms instead of
        # 55 ms for 100,000 rows by status), since no row has to be read to see that its id is not null.
        stmt = self._filtered(filters or PetitionFilter()).with_only_columns(func.count(), maintain_column_froms=True)
        with self._tx() as session:
            return int(session.scalar(stmt) or 0)

    def counts_by(self, column: str, filters: PetitionFilter | None = None) -> dict[str, int]:
        """Number of petitions per status, agency, kind or commune (for the console's charts)."""
        allowed = {"status": Petition.status, "agency": Petition.agency, "kind": Petition.kind,
                   "commune": Petition.commune_name, "commune_code": Petition.commune_code}
        col = allowed[column]
        stmt = (self._filtered(filters or PetitionFilter())
                .with_only_columns(col, func.count(), maintain_column_froms=True).group_by(col))
        with self._tx() as session:
            return {(k or ""): int(n) for k, n in session.execute(stmt)}

    def recent(self, since: datetime, *, until: datetime | None = None,
               filters: PetitionFilter | None = None) -> builtins.list[PetitionRecord]:
        """Petitions created in a time window, oldest first (input of hotspot detection); `filters` narrow it in
        SQL (one commune's petitions around a date, for a petition page's hotspot)."""
        stmt = self._filtered(filters or PetitionFilter()).where(Petition.created_at >= since)
        if until is not None:
            stmt = stmt.where(Petition.created_at <= until)
        stmt = stmt.order_by(Petition.created_at.asc(), Petition.id.asc())
        with self._tx() as session:
            return [_to_record(r, with_history=False) for r in session.scalars(stmt)]

    # -- figures of the overview: computed in the database, so their cost does not grow with Python objects ------------

    def counts_by_agency_and_commune(self, filters: PetitionFilter | None = None) -> dict[tuple[str, str], int]:
        """Matching petitions per (agency, commune code; "" when the commune matched none of the directory): both of
        the overview's breakdowns, and their total, from one pass over the index on those two columns."""
        stmt = (self._filtered(filters or PetitionFilter())
                .with_only_columns(Petition.agency, Petition.commune_code, func.count(), maintain_column_froms=True)
                .group_by(Petition.agency, Petition.commune_code))
        counts: dict[tuple[str, str], int] = {}
        with self._tx() as session:
            for agency, commune_code, n in session.execute(stmt):
                key = (agency, commune_code or "")
                counts[key] = counts.get(key, 0) + int(n)  # NULL and "" are one bucket, as in counts_by
        return counts

    def counts_created_between(self, days: Sequence[date],
                               filters: PetitionFilter | None = None) -> builtins.list[int]:
        """Matching petitions created from each day to the next one given (Vietnam's days; the last day only ends
        the last period): the overview's weekly chart. One statement of range counts on the creation-time index."""
        base = self._filtered(filters or PetitionFilter())
        counts = [base.where(Petition.created_at >= _vn_day_start(start), Petition.created_at < _vn_day_start(end))
                  .with_only_columns(func.count(), maintain_column_froms=True).scalar_subquery()
                  for start, end in pairwise(days)]
        if not counts:
            return []
        with self._tx() as session:
            return [int(n or 0) for n in session.execute(select(*counts)).one()]

    def answer_days(self, filters: PetitionFilter | None = None) -> tuple[int, float | None]:
        """How many matching petitions have an answer, and the median of the days from arrival to answer (None when
        none has), as statistics.median gives it. The database counts and finds the median: PostgreSQL with
        percentile_cont over the exact intervals; SQLite, which has no median, sorts and returns the middle one or
        two values (to the millisecond)."""
        answered = self._filtered(filters or PetitionFilter()).where(Petition.answered_at.is_not(None))
        with self._tx() as session:
            n = int(session.scalar(answered.with_only_columns(func.count(), maintain_column_froms=True)) or 0)
            if not n:
                return 0, None
            if self.engine.dialect.name == "postgresql":
                wait = Petition.answered_at - Petition.created_at
                median = session.scalar(answered.with_only_columns(func.percentile_cont(0.5).within_group(wait)))
                return n, median.total_seconds() / 86400
            days = _DaysBetween(Petition.answered_at, Petition.created_at)
            middle = session.scalars(answered.with_only_columns(days).order_by(days)
                                     .limit(2 - n % 2).offset((n - 1) // 2)).all()
        return n, sum(middle) / len(middle)

    def arrivals_by_place(self, since: datetime) -> builtins.list[PlaceArrivals]:
        """Petitions created since a time, grouped by commune code, commune name, topic and agency (the input of
        hotspot detection), without texts or personal data. The database groups them and joins each group's creation
        times (microseconds), ids and codes into three strings, so weeks of petitions come back as a few hundred rows
        that numpy parses, rather than as one row object per petition."""
        place = (Petition.commune_code, Petition.commune_name, Petition.topic, Petition.agency)
        # The three aggregates see each group's rows in one order, so the strings line up item by item.
        stmt = (select(*place, aggregate_strings(cast(_EpochMicros(Petition.created_at), String), ","),
                       aggregate_strings(cast(Petition.id, String), ","), aggregate_strings(Petition.code, ","))
                .where(Petition.created_at >= since).group_by(*place))
        with self._tx() as session:
            rows = session.execute(stmt).all()
        return [PlaceArrivals(commune_code, commune_name, topic or "", agency, _int_array(times), _int_array(ids),
                              tuple(codes_.split(",")))
                for commune_code, commune_name, topic, agency, times, ids, codes_ in rows]

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
            previous = row.status
            self._change(row, to_status, actor, note)
            notice = _TRANSITION_NOTICES.get((previous, to_status)) or _TRANSITION_NOTICES.get((None, to_status))
            if notice is not None:  # in this transaction: the citizen hears of exactly the changes that happened
                enqueue_notice(session, row, notice, note)
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
            enqueue_notice(session, row, "reassigned")
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
            if row.status != Status.ANSWERED and Status.ANSWERED not in TRANSITIONS[row.status]:
                raise InvalidTransition(f"cannot answer a petition in status {row.status}")
            now = _now()
            row.answer = answer.strip()
            row.answered_at = now
            row.answered_by = actor
            if row.delivery_state != "not-deliverable":
                row.delivery_state = "pending"
                row.delivery_attempts = 0
                row.delivery_error = None
            if row.status != Status.ANSWERED:
                self._change(row, Status.ANSWERED, actor, None, now=now)
            else:
                self._change(row, Status.ANSWERED, actor, "Cập nhật nội dung trả lời", now=now)
            enqueue_notice(session, row, "answered", row.answer, now=now)
            session.flush()
            return _to_record(row)

    # -- ratings and the triage queue (issue 14 parts 5-6) ------------------------------------------------------------

    def awaiting_rating(self, sender_id: str, *, since: datetime, limit: int = 5) -> builtins.list[PetitionRecord]:
        """This chat's answered petitions whose latest answer (given after `since`) it has not rated yet, newest
        first: what a "đã giải quyết" or a "2" typed in this chat may be about."""
        rated = select(Rating.id).where(Rating.petition_id == Petition.id,
                                        Rating.answered_at >= Petition.answered_at).exists()
        stmt = (
            select(Petition)
            .where(Petition.owner_key == owner_key(sender_id), Petition.status == Status.ANSWERED,
                   Petition.answered_at.is_not(None), Petition.answered_at >= since, ~rated)
            .order_by(Petition.answered_at.desc(), Petition.id.desc())
            .limit(max(1, limit))
        )
        with self._tx() as session:
            return [_to_record(r, with_history=False) for r in session.scalars(stmt)]

    def rate(self, code: str, sender_id: str, *, verdict: str, score: int | None = None,
             reason: str | None = None) -> PetitionRecord:
        """Record the owner's verdict on the petition's latest answer, once per answer.

        "Not resolved" reopens the petition to the same agency (back to dang-xu-ly) in the same transaction, with
        the citizen's reason in its history, so the agency sees why. Only the chat that filed it may rate it: for
        anyone else it looks like an unknown code.
        """
        if verdict not in RATING_VERDICTS:
            raise PetitionInvalid("verdict", f"must be one of {', '.join(RATING_VERDICTS)}")
        if score is not None and not 1 <= score <= 5:
            raise PetitionInvalid("score", "must lie between 1 and 5")
        reason = reason.strip() if reason else None
        check_text("reason", reason, max_len=MAX_TEXT, required=False)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if row.owner_key != owner_key(sender_id):
                raise PetitionNotFound(code)
            if row.status != Status.ANSWERED or row.answered_at is None:
                raise InvalidTransition(f"cannot rate a petition in status {row.status}")
            rated = session.scalar(select(Rating.id).where(Rating.petition_id == row.id,
                                                           Rating.answered_at >= row.answered_at).limit(1))
            if rated is not None:
                raise InvalidTransition("this answer has already been rated")
            now = _now()
            reopen = verdict == "unresolved"
            session.add(Rating(petition_id=row.id, agency=row.agency, answered_at=row.answered_at, verdict=verdict,
                               score=score, reason=reason, reopened=reopen, at=now))
            if reopen:
                note = "Người dân cho biết chưa giải quyết" + (f": {reason}" if reason else "")
                if score is not None:
                    note += f" (chấm {score}/5)"
                self._change(row, Status.IN_PROGRESS, CITIZEN_ACTOR, note, now=now)
            session.flush()
            log.info("petition %s rated %s%s", row.code, verdict, " and reopened" if reopen else "")
            return _to_record(row)

    def ratings_of(self, code: str) -> builtins.list[RatingEntry]:
        """Every rating of one petition, oldest first (the console's petition page)."""
        with self._tx() as session:
            row = self._row(session, code)
            rows = session.scalars(select(Rating).where(Rating.petition_id == row.id).order_by(Rating.id)).all()
            return [RatingEntry(r.verdict, r.score, r.reason, bool(r.reopened), r.agency, stored_at(r.at))
                    for r in rows]

    def rating_rates(self, filters: PetitionFilter | None = None) -> dict[str, RatingRates]:
        """Per agency that gave the answers: answers rated, rated resolved, and reopened by the citizen — counted in
        SQL over the ratings of the petitions the filters select (the overview's satisfaction and reopen rates).
        The ratings are joined to their petitions, so the cost follows the number of ratings, not of petitions."""
        stmt = (
            select(Rating.agency, func.count(Rating.id),
                   func.sum(case((Rating.verdict == "resolved", 1), else_=0)),
                   func.sum(case((Rating.reopened.is_(True), 1), else_=0)))
            .select_from(Rating).join(Petition, Petition.id == Rating.petition_id)
            .group_by(Rating.agency)
        )
        where = self._filtered(filters or PetitionFilter()).whereclause
        if where is not None:
            stmt = stmt.where(where)
        with self._tx() as session:
            return {agency: RatingRates(int(rated), int(resolved or 0), int(reopened or 0))
                    for agency, rated, resolved, reopened in session.execute(stmt)}

    def mark_for_triage(self, code: str) -> bool:
        """Put a petition the router could not place with confidence in the triage queue; True when it is waiting
        there. A petition whose agency an operator already confirmed is never put back."""
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if row.triage_state is None:
                row.triage_state = "pending"
            return row.triage_state == "pending"

    def awaiting_triage(self, codes_: Sequence[str]) -> set[str]:
        """Which of these petitions still wait for an operator to confirm their agency."""
        wanted = [c for c in codes_ if c]
        if not wanted:
            return set()
        stmt = select(Petition.code).where(Petition.code.in_(wanted), Petition.triage_state == "pending")
        with self._tx() as session:
            return set(session.scalars(stmt))

    def confirm_agency(self, code: str, agency: str, actor: str, note: str | None = None) -> PetitionRecord:
        """An operator confirms (or changes) the agency of a triaged petition.

        The change goes through `reassign`, the one path that records an agency change and tells the citizen which
        agency now handles the petition; only then does the petition leave the triage queue (should that second
        step fail, it stays in the queue and confirming again is harmless).
        """
        record = self.reassign(code, agency, actor, note)
        with self._tx() as session:
            row = self._row(session, code, lock=True)
            if row.triage_state == "pending":
                row.triage_state = "confirmed"
        return record

    def _change(
        self, row: Petition, to_status: str, actor: str, note: str | None, *, now: datetime | None = None
    ) -> None:
        now = now or _now()
        row.history.append(StatusChange(from_status=row.status, to_status=to_status, actor=actor, note=note, at=now))
        row.status = to_status
        row.updated_at = now


def queue_order() -> tuple[Any, ...]:
    """The queue's order: open petitions first, by due date (earliest first, undated after them), then the
    closed ones; ties oldest first, and the id last so that pages never overlap or skip a row."""
    closed = case((Petition.status.in_(OPEN_STATUSES), 0), else_=1)
    undated = case((Petition.due_date.is_(None), 1), else_=0)
    return closed, undated, Petition.due_date.asc(), Petition.created_at.asc(), Petition.id.asc()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _vn_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(UTC)

