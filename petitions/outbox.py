"""Notices to citizens as an outbox: one row per event of a petition, claimed atomically, sent exactly once.

A status change and its notice are written in the same transaction (petitions/store.py calls `enqueue`), so a
notice is never lost nor sent for a change that was rolled back. Workers — the console's loop and the request that
saves an answer alike — take due rows with one `UPDATE … RETURNING` (on PostgreSQL its row choice uses
`FOR UPDATE SKIP LOCKED`), which gives each row to exactly one worker for a lease; a failure worth retrying waits an
exponentially growing delay, a permanent one ends the row in "undeliverable" with its reason, shown to operators.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    CursorResult,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Result
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from petitions.models import Base, Delivery, Petition, one_of
from petitions.records import BAD_CHARS
from petitions.vn_time import aware

log = logging.getLogger(__name__)


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE changed: SQLAlchemy returns a CursorResult for DML, which alone has a row count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected the result of an UPDATE, got {type(result).__name__}")
    return result.rowcount


class NoticeEvent(StrEnum):
    """What happened to the petition; each has its text in petitions/data/notices.yml."""

    ACCEPTED = "accepted"
    REASSIGNED = "reassigned"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"


NOTICE_EVENTS: tuple[str, ...] = tuple(NoticeEvent)


class NoticeState(StrEnum):
    """pending: waiting for its next attempt; sending: claimed by a worker until lease_until; sent, undeliverable:
    terminal; superseded: an answer replaced by a newer one before it went out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"
    SUPERSEDED = "superseded"


NOTICE_STATES: tuple[str, ...] = tuple(NoticeState)
MAX_ERROR = 500


class Notice(Base):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    # The petition's status and agency right after the event (the reassigned notice names the new agency).
    status: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(64))
    # The answer text for "answered", the operator's reason for "rejected"/"closed"; none otherwise.
    detail: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR))
    # How it reached the citizen: "message", or "zns" for a Zalo template beyond the 48-hour window.
    via: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(one_of("event", NoticeEvent), name="event_known"),
        CheckConstraint(one_of("state", NoticeState), name="state_known"),
        Index("ix_notice_due", "state", "next_attempt_at"),
    )


@dataclass(frozen=True)
class OutboxPolicy:
    """The outbox's tuned numbers; the app fills them from settings (DANVAN_OUTBOX_*). The defaults here are the
    settings' defaults (a test keeps them equal), for callers that build an outbox without settings."""

    # First retry after backoff_base_s, doubling up to backoff_max_s: 30 s … 6 h, 16 tries span about 2.5 days,
    # longer than Zalo's or Telegram's outages on record; a five-minute outage costs four retries.
    backoff_base_s: float = 30.0
    backoff_max_s: float = 21600.0
    max_attempts: int = 16
    # A claim older than this is presumed dead (worker crashed) and taken again; far above a send's 15 s timeout.
    lease_s: float = 300.0
    batch: int = 20

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try after `attempts` failed ones: base, 2×base, 4×base … up to the cap."""
        exponent = max(0, min(attempts - 1, 40))
        return timedelta(seconds=min(self.backoff_base_s * (2 ** exponent), self.backoff_max_s))


@dataclass(frozen=True)
class ClaimedNotice:
    """A notice a worker holds until its lease ends; `token` proves the claim when the outcome is written."""

    id: int
    token: str
    petition_id: int
    code: str
    event: str
    status: str
    agency: str
    detail: str | None
    channel: str
    recipient: str
    attempts: int
    # The phone the citizen gave at filing (with consent): only Zalo's template messages (ZNS) are addressed by it.
    contact_phone: str | None


@dataclass(frozen=True)
class NoticeRecord:
    """A notice as the console shows it on the petition page."""

    id: int
    event: str
    agency: str
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    via: str | None
    created_at: datetime | None
    sent_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC)


def _clean_error(reason: str | None) -> str:
    return BAD_CHARS.sub(" ", reason or "unknown error")[:MAX_ERROR]


def enqueue(session: Session, row: Petition, event: str, detail: str | None = None, *,
            now: datetime | None = None) -> Notice | None:
    """Add the notice of `event` in the caller's transaction; None when the citizen gave no way to reach them.

    An anonymous petition (no consent, hence no sender id) gets no notice at all; its `delivery_state` already
    says "not-deliverable". A newer answer supersedes an older one still waiting, so the citizen reads one answer.
    """
    if event not in NOTICE_EVENTS:
        raise ValueError(f"unknown notice event {event!r}")
    if not row.consent_given or not row.sender_id:
        return None
    now = now or _now()
    if event == NoticeEvent.ANSWERED and row.id is not None:
        session.execute(
            update(Notice)
            .where(Notice.petition_id == row.id, Notice.event == NoticeEvent.ANSWERED,
                   Notice.state == NoticeState.PENDING)
            .values(state=NoticeState.SUPERSEDED, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    notice = Notice(petition_id=row.id, event=event, status=row.status, agency=row.agency, detail=detail,
                    channel=row.channel, recipient=row.sender_id, state=NoticeState.PENDING, attempts=0,
                    next_attempt_at=now, created_at=now)
    session.add(notice)
    return notice


class Outbox:
    """Claims, outcomes and the operator's view of the notice table."""

    def __init__(self, engine: Engine, policy: OutboxPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def claim(self, *, limit: int | None = None, petition_id: int | None = None,
              now: datetime | None = None) -> list[ClaimedNotice]:
        """Take up to `limit` due notices for this worker, atomically.

        Due: pending and past its next attempt time, or claimed by a worker whose lease ran out (it crashed).
        PostgreSQL: the rows are chosen with `SELECT … FOR UPDATE SKIP LOCKED` first — concurrent workers pass each
        other's rows by instead of waiting — then updated by id in the same transaction (inside the UPDATE's IN the
        planner may re-run a LIMIT subquery and take more than `limit` rows). SQLite serialises writers, so one
        `UPDATE … WHERE id IN (…) RETURNING` does it. The UPDATE repeats the due condition either way, so a row
        another worker took meanwhile is never taken twice.
        """
        now = now or _now()
        token = secrets.token_hex(16)
        due = or_(
            and_(Notice.state == NoticeState.PENDING, Notice.next_attempt_at <= now),
            and_(Notice.state == NoticeState.SENDING, Notice.lease_until < now),
        )
        chosen = select(Notice.id).where(due)
        if petition_id is not None:
            chosen = chosen.where(Notice.petition_id == petition_id)
        chosen = chosen.order_by(Notice.next_attempt_at, Notice.id).limit(limit or self.policy.batch)
        with self._sessions.begin() as session:
            if self.engine.dialect.name == "postgresql":
                locked = list(session.scalars(chosen.with_for_update(skip_locked=True)))
                if not locked:
                    return []
                target = Notice.id.in_(locked)
            else:
                target = Notice.id.in_(chosen.scalar_subquery())
            ids = list(session.scalars(
                update(Notice)
                .where(target, due)
                .values(state=NoticeState.SENDING, claim_token=token, attempts=Notice.attempts + 1,
                        lease_until=now + timedelta(seconds=self.policy.lease_s))
                .returning(Notice.id)
                .execution_options(synchronize_session=False)
            ))
            if not ids:
                return []
            rows = session.execute(
                select(Notice, Petition.code, Petition.contact_phone)
                .join(Petition, Petition.id == Notice.petition_id)
                .where(Notice.id.in_(ids)).order_by(Notice.id)
            ).all()
        return [ClaimedNotice(id=n.id, token=token, petition_id=n.petition_id, code=code, event=n.event,
                              status=n.status, agency=n.agency, detail=n.detail, channel=n.channel,
                              recipient=n.recipient, attempts=n.attempts, contact_phone=phone)
                for n, code, phone in rows]

    def mark_sent(self, claim: ClaimedNotice, *, via: str = "message") -> bool:
        """Record the delivery; False when the lease had been lost to another worker (logged, nothing changed)."""
        now = _now()
        with self._sessions.begin() as session:
            done = _changed(session.execute(
                update(Notice)
                .where(Notice.id == claim.id, Notice.claim_token == claim.token, Notice.state == NoticeState.SENDING)
                .values(state=NoticeState.SENT, sent_at=now, lease_until=None, last_error=None, via=via)
                .execution_options(synchronize_session=False)
            ))
            if done and claim.event == NoticeEvent.ANSWERED:
                self._mirror(session, claim, Delivery.SENT, None, now)
        if not done:
            log.warning("notice %d was sent after its lease ended; another worker may have taken it", claim.id)
        return bool(done)

    def mark_failed(self, claim: ClaimedNotice, reason: str, *, retryable: bool) -> str:
        """Record a failed attempt: back off and retry, or end in "undeliverable". Returns the notice's new state."""
        now = _now()
        reason = _clean_error(reason)
        last_try = claim.attempts >= self.policy.max_attempts
        state = NoticeState.PENDING if retryable and not last_try else NoticeState.UNDELIVERABLE
        if retryable and last_try:
            reason = _clean_error(f"gave up after {claim.attempts} attempts: {reason}")
        with self._sessions.begin() as session:
            done = _changed(session.execute(
                update(Notice)
                .where(Notice.id == claim.id, Notice.claim_token == claim.token, Notice.state == NoticeState.SENDING)
                .values(state=state, last_error=reason, lease_until=None,
                        next_attempt_at=now + self.policy.delay(claim.attempts))
                .execution_options(synchronize_session=False)
            ))
            if done and claim.event == NoticeEvent.ANSWERED:
                self._mirror(session, claim, Delivery.FAILED, reason, None)
        return state if done else "lost"

    @staticmethod
    def _mirror(session: Session, claim: ClaimedNotice, state: str, error: str | None,
                delivered_at: datetime | None) -> None:
        """Keep the petition's answer-delivery columns (queue, exports, Open311) in step with its answer notice."""
        values: dict[str, object] = {"delivery_state": state, "delivery_error": error,
                                     "delivery_attempts": claim.attempts}
        if delivered_at is not None:
            values["delivered_at"] = delivered_at
        session.execute(
            update(Petition)
            .where(Petition.id == claim.petition_id, Petition.delivery_state != Delivery.NOT_DELIVERABLE)
            .values(**values).execution_options(synchronize_session=False)
        )

    def retry_now(self, petition_id: int, event: str = NoticeEvent.ANSWERED) -> bool:
        """An operator's "send again": the newest notice of `event` that did not go out becomes due at once."""
        with self._sessions.begin() as session:
            notice = session.scalars(
                select(Notice).where(Notice.petition_id == petition_id, Notice.event == event)
                .order_by(Notice.id.desc()).limit(1).with_for_update()
            ).first()
            if notice is None or notice.state not in (NoticeState.PENDING, NoticeState.UNDELIVERABLE):
                return False
            notice.state = NoticeState.PENDING
            notice.next_attempt_at = _now()
            return True

    def for_petition(self, petition_id: int) -> list[NoticeRecord]:
        """Every notice of one petition, oldest first."""
        with self._sessions.begin() as session:
            rows: Sequence[Notice] = session.scalars(
                select(Notice).where(Notice.petition_id == petition_id).order_by(Notice.id)
            ).all()
            return [NoticeRecord(id=n.id, event=n.event, agency=n.agency, channel=n.channel, state=n.state,
                                 attempts=n.attempts, next_attempt_at=aware(n.next_attempt_at),
                                 last_error=n.last_error, via=n.via, created_at=aware(n.created_at),
                                 sent_at=aware(n.sent_at)) for n in rows]

    def counts(self) -> dict[str, int]:
        """Notices per state (for logs and tests)."""
        with self._sessions.begin() as session:
            return {state: int(n) for state, n in
                    session.execute(select(Notice.state, func.count(Notice.id)).group_by(Notice.state))}
