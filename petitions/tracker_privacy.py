"""What Rasa's tracker store keeps of a citizen: one petition form's events, their redaction, and retention.

Rasa's SQLTrackerStore writes every event of every turn to the `events` table (id, sender_id, type_name, timestamp,
intent_name, action_name = the event's "name", data = the event as JSON text) and never removes anything. A
cancelled petition's text and phone number would therefore stay there for ever; this module blanks them.

Redaction only UPDATEs rows in place. SQLTrackerStore decides which events of a turn are new by counting the stored
events of the current session, so a deleted or inserted row would make it drop or duplicate the next turn's events.
Retention deletes only rows Rasa no longer counts: sessions older than the sender's latest one, and conversations
that have been idle for the whole retention period.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, inspect, make_url, text

log = logging.getLogger(__name__)

REDACTED = "[đã xóa]"
PETITION_FORM = "petition_form"
SUBMIT_ACTION = "action_submit_petition"
# Slots that hold what the citizen typed for a petition, or data derived from it (see actions/common.py).
PERSONAL_SLOTS = ("consent_at", "matter_draft", "matter", "commune", "commune_code", "phone", "edit_field",
                  "confirmed")


@dataclass(frozen=True)
class EventRow:
    """One row of Rasa's `events` table, with its JSON decoded."""

    id: int
    type_name: str
    action_name: str | None
    timestamp: float | None
    data: dict[str, Any]

    @classmethod
    def from_db(cls, id_: int, type_name: str, action_name: str | None, timestamp: float | None,
                data: str | None) -> EventRow:
        try:
            decoded = json.loads(data or "{}")
        except ValueError:
            decoded = {}
        return cls(int(id_), type_name, action_name, timestamp, decoded if isinstance(decoded, dict) else {})

    @property
    def name(self) -> str | None:
        return self.action_name or self.data.get("name")

    def is_form_activation(self) -> bool:
        return self.type_name == "active_loop" and self.name == PETITION_FORM


def form_window_start(rows: Sequence[EventRow], before: int) -> int | None:
    """Index in `rows` of the first event of the petition form whose events precede `rows[before]`.

    That is the citizen's message that started the form (the one just before the form's activation), or the
    activation itself when no message precedes it. An activation that follows a failed `action_submit_petition`
    (the form re-opened to retry storing) belongs to the same petition, so the search continues to the activation
    before it. None when no activation precedes `before`.
    """
    index, start = before, None
    while True:
        activation = next((i for i in range(index - 1, -1, -1) if rows[i].is_form_activation()), None)
        if activation is None:
            return start
        trigger = next((i for i in range(activation - 1, -1, -1) if rows[i].type_name == "user"), None)
        start = trigger if trigger is not None else activation
        if not any(r.type_name == "action" and r.name == SUBMIT_ACTION for r in rows[start:activation]):
            return start
        index = start  # a retry after a failed submit: look for the activation that opened this petition's form


def redacted_data(row: EventRow, *, everything: bool) -> dict[str, Any] | None:
    """The row's data with personal values blanked, or None when nothing in it needs to change.

    Slot events of PERSONAL_SLOTS lose their value always; with `everything`, user messages lose their text and
    entities and bot messages their text (the summary quotes the petition and the phone number).
    """
    data = row.data
    if row.type_name == "slot" and row.name in PERSONAL_SLOTS:
        if data.get("value") is None:
            return None
        return {**data, "value": None}
    if not everything:
        return None
    if row.type_name == "user":
        parse = data.get("parse_data")
        new_parse = {**parse, "text": REDACTED, "entities": []} if isinstance(parse, dict) else parse
        new = {**data, "text": REDACTED, "parse_data": new_parse}
        return None if new == data else new
    if row.type_name == "bot" and data.get("text") not in (None, REDACTED):
        return {**data, "text": REDACTED}
    return None


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return Path(path[len("file:"):] if path.startswith("file:") else path)


def engine_url(url: str) -> URL:
    """The tracker store's URL for this environment's SQLAlchemy: a bare postgresql:// (as Rasa's docs write it)
    means psycopg2, which the project ships, where SQLAlchemy 2.1 would pick psycopg 3."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg2") if parsed.drivername == "postgresql" else parsed


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    """One pooled engine per tracker store URL, made on first use (the action server calls this on every cancel).

    Statement parameters stay out of error messages: they are the very values being blanked.
    """
    if url.startswith("sqlite"):
        return create_engine(engine_url(url), connect_args={"timeout": 10}, hide_parameters=True)
    return create_engine(engine_url(url), pool_pre_ping=True, hide_parameters=True)


def tracker_store_exists(url: str) -> bool:
    """Whether the tracker store has its `events` table; a missing SQLite file is not created by asking."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return False
    return inspect(_engine(url)).has_table("events")


def _form_window(conn: Any, sender_id: str) -> tuple[list[EventRow], int | None]:
    """The events of the sender's current session and the index of its latest petition form's first event."""
    start = conn.execute(text(
        "SELECT MAX(id) FROM events WHERE sender_id = :s AND type_name = 'session_started'"
    ), {"s": sender_id}).scalar()
    rows = [EventRow.from_db(*r) for r in conn.execute(text(
        "SELECT id, type_name, action_name, timestamp, data FROM events "
        "WHERE sender_id = :s AND id >= :start ORDER BY id"
    ), {"s": sender_id, "start": start or 0})]
    return rows, form_window_start(rows, len(rows))


def form_window_started_at(tracker_url: str, sender_id: str) -> datetime | None:
    """When the citizen's message that opened the sender's latest petition form arrived (UTC), if there is one."""
    path = sqlite_path(tracker_url)
    if not sender_id or (path is not None and not path.is_file()):
        return None
    with _engine(tracker_url).connect() as conn:
        rows, first = _form_window(conn, sender_id)
    stamp = None if first is None else rows[first].timestamp
    if stamp is None:
        return None
    return datetime.fromtimestamp(float(stamp), UTC)


def redact_form_window(tracker_url: str, sender_id: str, *, everything: bool = True) -> int:
    """Blank the personal values of the sender's latest petition form in the tracker store; the number of rows changed.

    `everything=True` (a cancelled petition, or one filed anonymously) blanks the slots, what the citizen typed and
    what the bot said from the message that opened the form onwards; `everything=False` (a petition filed with
    consent, whose conversation the handling agency reads in the console) blanks only the slot copies. Events of the
    turn being processed are not stored yet; they are the caller's own and must hold nothing personal.
    """
    path = sqlite_path(tracker_url)
    if not sender_id or (path is not None and not path.is_file()):
        return 0
    with _engine(tracker_url).begin() as conn:
        rows, first = _form_window(conn, sender_id)
        if first is None:
            return 0
        updates = []
        for row in rows[first:]:
            new = redacted_data(row, everything=everything)
            if new is not None:
                updates.append({"id": row.id, "data": json.dumps(new)})
        if updates:
            conn.execute(text("UPDATE events SET data = :data WHERE id = :id"), updates)
    return len(updates)


# Rows older than the cutoff that Rasa no longer reads (see purge_older_than).
_EXPIRED = (
    "timestamp < :cutoff AND ("
    " timestamp < (SELECT MAX(s.timestamp) FROM events s"
    "              WHERE s.sender_id = events.sender_id AND s.type_name = 'session_started')"
    " OR NOT EXISTS (SELECT 1 FROM events n WHERE n.sender_id = events.sender_id AND n.timestamp >= :cutoff))"
)


def purge_older_than(tracker_url: str, cutoff: datetime, *, dry_run: bool = False) -> int:
    """Delete tracker events older than `cutoff` that Rasa no longer reads; the number of rows deleted (or, with
    `dry_run`, that would be).

    A row goes when it is older than the cutoff and either belongs to a session older than its sender's latest one
    (Rasa counts the current session's events by timestamp, so those rows are never counted) or its whole
    conversation has been idle since the cutoff (Rasa then starts from an empty tracker, as for a new citizen).
    """
    if not tracker_store_exists(tracker_url):
        return 0
    params = {"cutoff": cutoff.timestamp()}
    with _engine(tracker_url).begin() as conn:
        if dry_run:
            return int(conn.execute(text(f"SELECT COUNT(*) FROM events WHERE {_EXPIRED}"), params).scalar() or 0)
        deleted = int(conn.execute(text(f"DELETE FROM events WHERE {_EXPIRED}"), params).rowcount or 0)
    log.info("tracker store: %d event(s) older than %s deleted", deleted, cutoff.isoformat())
    return deleted
