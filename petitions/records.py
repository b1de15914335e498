"""Plain records of the petitions store and the checks every new petition passes before it is written.

They carry no database session, so web pages, actions and tests can keep and compare them freely.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from petitions.codes import AGENCY_RE
from petitions.models import KIND_LABELS, KINDS, MAX_CONSENT_TEXT, MAX_TEXT, OPEN_STATUSES, STATUS_LABELS
from petitions.phone import normalize_phone
from petitions.vn_time import VN_TZ, aware, vn_today  # noqa: F401 - re-exported for the store and the console

_E164_RE = re.compile(r"^\+84\d{9,10}$")
BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ud800-\udfff]")


def stored_at(value: datetime) -> datetime:
    """`aware` of a NOT NULL time column: `aware` passes None through, so its result type admits None; this one's
    does not (a datetime is always truthy, so the `or` never takes its right side)."""
    return aware(value) or value


class PetitionInvalid(ValueError):
    """A record that must not be stored; `field` names the offending attribute."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class NewPetition:
    """Everything needed to create a petition; validated by the store before anything is written."""

    channel: str
    sender_id: str
    text: str
    agency: str
    kind: str
    idempotency_key: str
    consent_given: bool
    consent_text: str | None = None
    consent_at: datetime | None = None
    contact_phone: str | None = None
    commune_name: str | None = None
    commune_matched: bool = False
    commune_code: str | None = None
    topic: str = ""
    confidence: float = 0.0
    due_date: date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    from_status: str | None
    to_status: str
    actor: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class PetitionRecord:
    """A petition as read from the store."""

    id: int
    code: str
    channel: str
    sender_id: str | None
    consent_given: bool
    consent_at: datetime | None
    consent_text: str | None
    contact_phone: str | None
    text: str
    commune_name: str | None
    commune_matched: bool
    commune_code: str | None
    agency: str
    topic: str
    confidence: float
    kind: str
    status: str
    created_at: datetime
    updated_at: datetime
    due_date: date | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    delivery_state: str
    delivery_attempts: int
    delivery_error: str | None
    delivered_at: datetime | None
    history: tuple[HistoryEntry, ...] = field(default=())

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < (today or vn_today())


@dataclass(frozen=True)
class CreateResult:
    record: PetitionRecord
    created: bool  # False when the idempotency key had already been used: the earlier petition is returned


@dataclass(frozen=True)
class PetitionFilter:
    """Filters of the operators' queue; every field is optional and they combine with AND."""

    status: str | Sequence[str] | None = None
    agency: str | None = None
    commune: str | None = None  # a commune code, or free text matched against the stored commune name
    kind: str | None = None
    overdue: bool | None = None
    triage: bool | None = None  # True: only petitions waiting for an operator to confirm their agency
    created_from: date | None = None  # Vietnam dates, inclusive
    created_to: date | None = None
    text: str | None = None  # diacritics-insensitive substring of the text, topic, code or commune
    today: date | None = None  # reference day for `overdue` (defaults to today in Vietnam)


def check_text(field_name: str, value: str | None, *, max_len: int, required: bool = True) -> None:
    if value is None:
        if required:
            raise PetitionInvalid(field_name, "missing")
        return
    if not isinstance(value, str):
        raise PetitionInvalid(field_name, "must be text")
    if required and not value.strip():
        raise PetitionInvalid(field_name, "empty")
    if len(value) > max_len:
        raise PetitionInvalid(field_name, f"longer than {max_len} characters")
    if BAD_CHARS.search(value):
        raise PetitionInvalid(field_name, "contains control characters or broken UTF-8")


def validate_new(new: NewPetition) -> NewPetition:
    """Reject anything that must not be stored; returns the record with the phone normalised."""
    check_text("channel", new.channel, max_len=32)
    check_text("sender_id", new.sender_id, max_len=128)
    check_text("text", new.text, max_len=MAX_TEXT)
    check_text("idempotency_key", new.idempotency_key, max_len=512)
    check_text("topic", new.topic, max_len=200, required=False)
    check_text("commune_name", new.commune_name, max_len=200, required=False)
    check_text("commune_code", new.commune_code, max_len=64, required=False)
    if not isinstance(new.agency, str) or not AGENCY_RE.match(new.agency):
        raise PetitionInvalid("agency", "not an agency code")
    if new.kind not in KINDS:
        raise PetitionInvalid("kind", f"must be one of {', '.join(KINDS)}")
    if not 0.0 <= float(new.confidence) <= 1.0:
        raise PetitionInvalid("confidence", "must lie between 0 and 1")
    phone = new.contact_phone
    if phone is not None:
        phone = normalize_phone(phone)
        if phone is None or not _E164_RE.match(phone):
            raise PetitionInvalid("contact_phone", "not a Vietnamese phone number")
    if new.consent_given:
        check_text("consent_text", new.consent_text, max_len=MAX_CONSENT_TEXT)
        if not isinstance(new.consent_at, datetime):
            raise PetitionInvalid("consent_at", "consent needs the time it was given")
    elif phone is not None:
        raise PetitionInvalid("contact_phone", "contact data needs the citizen's consent")
    if new.commune_matched and not new.commune_code:
        raise PetitionInvalid("commune_code", "a matched commune needs its code")
    return replace(new, contact_phone=phone)
