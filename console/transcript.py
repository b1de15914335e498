"""The chat that led to one petition, read from Rasa's tracker store (the `events` table), never written.

Only that petition's own conversation is shown: from the message that opened its form to the bot's reply that gave
its tracking code. Whatever else the same chat contains — other petitions sent to other agencies, a petition the
citizen cancelled, questions before or after — belongs to other matters and other agencies and is never read out.
Button presses are shown by the button's title, as the citizen saw them, never as the payload sent to Rasa.

Rasa owns that database: SQLite is opened in read-only mode; other databases get a read-only transaction where the
driver has one. A missing database or table means "no transcript", not an error page.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from petitions.tracker_privacy import EventRow, engine_url, form_window_start

log = logging.getLogger(__name__)

MAX_TURNS = 200
# Events read around the filing time to find the petition's window in (a form, interruptions included, is short).
MAX_ROWS = 5000
# What a button press is shown as when the button it came from is no longer known.
UNKNOWN_BUTTON = "(bấm một nút)"
_PAYLOAD_RE = re.compile(r"^/[A-Za-z_][\w-]*(?:\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Turn:
    who: str  # "user" or "bot"
    text: str
    at: datetime | None


def _read_only_url(url: str) -> str:
    """sqlite:///path -> a URI connection with mode=ro, so nothing here can write to Rasa's database."""
    if not url.startswith("sqlite:///") or url in ("sqlite://", "sqlite:///:memory:"):
        return url
    path = url.split(":///", 1)[1].split("?", 1)[0]
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def is_payload(message: str) -> bool:
    """A button payload ("/affirm", '/inform{"x": 1}') rather than words the citizen typed."""
    return bool(_PAYLOAD_RE.match(message.strip()))


class TranscriptReader:
    def __init__(self, tracker_url: str, *, before: timedelta = timedelta(hours=6),
                 after: timedelta = timedelta(minutes=30)) -> None:
        self.tracker_url = tracker_url
        self.before = before  # how far back from the filing time the form's start is searched
        self.after = after  # how far after it the receipt is searched (clocks of several servers differ)

    @cached_property
    def _engine(self) -> Engine | None:
        if not self.tracker_url:
            return None
        url = _read_only_url(self.tracker_url)
        options = {} if url.startswith("sqlite") else {"postgresql_readonly": True}
        return create_engine(engine_url(url), execution_options=options, hide_parameters=True)

    def turns(self, sender_ids: list[str], code: str, filed_at: datetime) -> list[Turn] | None:
        """The petition's own conversation; [] when it cannot be found, None when the tracker store cannot be read."""
        engine = self._engine
        if engine is None or not sender_ids or not code:
            return None
        params = {f"s{i}": s for i, s in enumerate(sender_ids)}
        placeholders = ", ".join(f":s{i}" for i in range(len(sender_ids)))
        query = text(
            "SELECT id, type_name, action_name, timestamp, data FROM events "
            f"WHERE sender_id IN ({placeholders}) AND type_name IN ('user', 'bot', 'action', 'active_loop') "
            "AND timestamp >= :start AND timestamp <= :end ORDER BY id LIMIT :limit"
        )
        bounds = {"start": (filed_at - self.before).timestamp(), "end": (filed_at + self.after).timestamp()}
        try:
            with engine.connect() as conn:
                rows = [EventRow.from_db(*row) for row in conn.execute(query, {**params, **bounds, "limit": MAX_ROWS})]
        except SQLAlchemyError as exc:
            log.warning("tracker store unreadable: %s", type(exc).__name__)
            return None
        return petition_turns(rows, code)[-MAX_TURNS:]


def petition_turns(rows: list[EventRow], code: str) -> list[Turn]:
    """User and bot turns from the start of the form that filed `code` to the reply showing `code`; [] if not found."""
    receipt = next((i for i, r in enumerate(rows) if r.type_name == "bot" and code in str(r.data.get("text") or "")),
                   None)
    if receipt is None:
        return []
    start = form_window_start(rows, receipt)
    if start is None:
        return []
    turns = []
    for i in range(start, receipt + 1):
        row = rows[i]
        if row.type_name == "user":
            turns.append(Turn("user", _user_text(rows, i), _at(row)))
        elif row.type_name == "bot":
            turns.append(Turn("bot", _bot_text(row), _at(row)))
    return [t for t in turns if t.text]


def _user_text(rows: list[EventRow], index: int) -> str:
    message = str(rows[index].data.get("text") or "")
    if not is_payload(message):
        return message
    for i in range(index - 1, -1, -1):  # the bot messages of the previous turn, latest first
        row = rows[i]
        if row.type_name == "user":
            break
        if row.type_name == "bot":
            for button in (row.data.get("data") or {}).get("buttons") or []:
                if isinstance(button, dict) and str(button.get("payload", "")).strip() == message.strip():
                    return str(button.get("title") or UNKNOWN_BUTTON)
    return UNKNOWN_BUTTON


def _bot_text(row: EventRow) -> str:
    value = str(row.data.get("text") or "")
    if not value:
        buttons = (row.data.get("data") or {}).get("buttons") or []
        value = " / ".join(str(b.get("title", "")) for b in buttons if isinstance(b, dict))
    return value


def _at(row: EventRow) -> datetime | None:
    return datetime.fromtimestamp(row.timestamp, UTC) if row.timestamp else None
