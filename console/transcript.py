"""The chat that led to a petition, read from Rasa's tracker store (the `events` table), never written.

Rasa owns that database; the console only reads the user and bot turns of one sender around the time the petition
was filed. SQLite is opened in read-only mode; other databases get a read-only transaction where the driver has one.
A missing database or table means "no transcript", not an error page.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MAX_TURNS = 200


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


class TranscriptReader:
    def __init__(self, tracker_url: str, *, before: timedelta = timedelta(hours=6),
                 after: timedelta = timedelta(minutes=30)) -> None:
        self.tracker_url = tracker_url
        self.before = before
        self.after = after

    @cached_property
    def _engine(self) -> Engine | None:
        if not self.tracker_url:
            return None
        url = _read_only_url(self.tracker_url)
        options = {} if url.startswith("sqlite") else {"postgresql_readonly": True}
        return create_engine(url, execution_options=options)

    def turns(self, sender_ids: list[str], filed_at: datetime) -> list[Turn] | None:
        """User and bot turns of these sender ids around `filed_at`; None when the tracker store cannot be read."""
        engine = self._engine
        if engine is None or not sender_ids:
            return None
        start = (filed_at - self.before).timestamp()
        end = (filed_at + self.after).timestamp()
        params = {f"s{i}": s for i, s in enumerate(sender_ids)}
        placeholders = ", ".join(f":s{i}" for i in range(len(sender_ids)))
        query = text(
            "SELECT type_name, timestamp, data FROM events "
            f"WHERE sender_id IN ({placeholders}) AND type_name IN ('user', 'bot') "
            "AND timestamp >= :start AND timestamp <= :end ORDER BY id DESC LIMIT :limit"
        )
        try:
            with engine.connect() as conn:
                rows = conn.execute(query, {**params, "start": start, "end": end, "limit": MAX_TURNS}).all()
        except SQLAlchemyError as exc:
            log.warning("tracker store unreadable: %s", type(exc).__name__)
            return None
        turns = [_turn(kind, stamp, data) for kind, stamp, data in reversed(rows)]
        return [t for t in turns if t.text]


def _turn(kind: str, stamp: float | None, data: str | None) -> Turn:
    try:
        payload = json.loads(data or "{}")
    except ValueError:
        payload = {}
    text_value = payload.get("text") or ""
    if kind == "bot" and not text_value:
        buttons = (payload.get("data") or {}).get("buttons") or []
        text_value = " / ".join(str(b.get("title", "")) for b in buttons if isinstance(b, dict))
    at = datetime.fromtimestamp(stamp, UTC) if stamp else None
    return Turn(who=kind, text=str(text_value), at=at)
