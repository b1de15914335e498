"""Database tables of the petitions store (SQLAlchemy 2 declarative); the schema itself is owned by the migrations.

Column sizes are generous but bounded so that PostgreSQL and SQLite accept exactly the same data. Times are stored
as timezone-aware UTC; dates (due dates) are calendar dates in Vietnam.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Status(StrEnum):
    """Statuses a petition moves through; the values are what the store keeps (and compare equal to those strings)."""

    NEW = "moi"
    IN_PROGRESS = "dang-xu-ly"
    ANSWERED = "da-tra-loi"
    CLOSED = "da-dong"
    NOT_HANDLED = "khong-xu-ly"


class Delivery(StrEnum):
    """Delivery of the answer back to the citizen's chat."""

    NONE = "none"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NOT_DELIVERABLE = "not-deliverable"  # anonymous: no chat to answer in


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a CHECK constraint that `column` holds one of `values` (an enum's, so code and schema agree)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


# The Vietnamese labels are what citizens and operators see. Keyed and listed as plain strings for the code that
# reads statuses back from the database (the members compare and hash equal to their values).
STATUS_LABELS: dict[str, str] = {
    Status.NEW: "Đã tiếp nhận",
    Status.IN_PROGRESS: "Đang xử lý",
    Status.ANSWERED: "Đã trả lời",
    Status.CLOSED: "Đã kết thúc",
    Status.NOT_HANDLED: "Không thuộc diện xử lý",
}
STATUSES: tuple[str, ...] = tuple(Status)
OPEN_STATUSES: tuple[str, ...] = (Status.NEW, Status.IN_PROGRESS)
# Which status may follow which; re-opening an answered petition is allowed (the citizen disagreed).
TRANSITIONS = {
    "moi": {"dang-xu-ly", "da-tra-loi", "khong-xu-ly", "da-dong"},
    "dang-xu-ly": {"moi", "da-tra-loi", "khong-xu-ly", "da-dong"},
    "da-tra-loi": {"dang-xu-ly", "da-dong"},
    "khong-xu-ly": {"dang-xu-ly", "da-dong"},
    "da-dong": {"dang-xu-ly"},
}
KIND_LABELS = {"khieu-nai": "Khiếu nại", "to-cao": "Tố cáo", "phan-anh-kien-nghi": "Phản ánh, kiến nghị"}
KINDS = tuple(KIND_LABELS)
# What a petition is when the citizen names no kind: the kind with no statutory procedure of its own.
DEFAULT_KIND = "phan-anh-kien-nghi"
DELIVERY_STATES: tuple[str, ...] = tuple(Delivery)
# A petition the router could not place with confidence waits in the triage queue ("pending") until an operator
# confirms or changes its agency ("confirmed"); None: routed with confidence, never triaged.
TRIAGE_STATES = ("pending", "confirmed")
# How a citizen rated an answer: resolved, not resolved (the petition is reopened), or a middling score.
RATING_VERDICTS = ("resolved", "unresolved", "neutral")

MAX_TEXT = 5000
MAX_ANSWER = 10000
MAX_CONSENT_TEXT = 4000

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Petition(Base):
    __tablename__ = "petition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)

    channel: Mapped[str] = mapped_column(String(32))
    # Raw chat identity, kept only with consent (needed to send the answer back); owner_key is a one-way hash of
    # it that lets the same chat check the status even of an anonymous petition.
    sender_id: Mapped[str | None] = mapped_column(String(128))
    owner_key: Mapped[str] = mapped_column(String(64), index=True)

    consent_given: Mapped[bool] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_text: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(16))

    text: Mapped[str] = mapped_column(Text)
    commune_name: Mapped[str | None] = mapped_column(String(200))
    commune_matched: Mapped[bool] = mapped_column(Boolean, default=False)
    commune_code: Mapped[str | None] = mapped_column(String(64), index=True)
    commune_key: Mapped[str | None] = mapped_column(String(200), index=True)  # folded name, for filtering

    agency: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(200), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[date | None] = mapped_column(Date, index=True)

    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(128))

    delivery_state: Mapped[str] = mapped_column(String(16), default="none")
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Folded code, topic, commune and text: the operators' search ignores diacritics and case on every database.
    search_text: Mapped[str] = mapped_column(Text, default="")
    triage_state: Mapped[str | None] = mapped_column(String(16), index=True)

    history: Mapped[list[StatusChange]] = relationship(
        back_populates="petition", order_by="StatusChange.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("length(text) >= 1", name="text_not_empty"),
        CheckConstraint("kind IN ('khieu-nai', 'to-cao', 'phan-anh-kien-nghi')", name="kind_known"),
        CheckConstraint(one_of("status", Status), name="status_known"),
        CheckConstraint(one_of("delivery_state", Delivery), name="delivery_known"),
        CheckConstraint("consent_given OR contact_phone IS NULL", name="contact_needs_consent"),
        CheckConstraint("triage_state IS NULL OR triage_state IN ('pending', 'confirmed')", name="triage_known"),
        Index("ix_petition_status_due", "status", "due_date"),
        # The queue's order in SQL (console/queue.py), for everyone and per agency (migration 0006).
        Index("ix_petition_queue", "status", "due_date", "created_at"),
        Index("ix_petition_agency_queue", "agency", "status", "due_date", "created_at"),
        # The overview's figures read from indexes alone, for everyone and per agency (migration 0007): petitions
        # per agency and commune; the weekly counts and the median time to answer.
        Index("ix_petition_agency_commune", "agency", "commune_code"),
        Index("ix_petition_created_answered", "created_at", "answered_at"),
        Index("ix_petition_agency_created_answered", "agency", "created_at", "answered_at"),
    )


class StatusChange(Base):
    __tablename__ = "petition_status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    petition: Mapped[Petition] = relationship(back_populates="history")


class Rating(Base):
    """The citizen's verdict on one answer ("dân giám sát"): kept per answer, so a reopened and re-answered petition
    is rated again; `agency` is the agency that gave the answer, for its satisfaction and reopen rates."""

    __tablename__ = "petition_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("verdict IN ('resolved', 'unresolved', 'neutral')", name="verdict_known"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
    )
