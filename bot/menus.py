"""Short-lived memory of the choices a citizen was last offered, so a reply can be mapped back to a payload.

Zalo consultation messages have no buttons: a reply "2" must mean "the second button of the last menu this
citizen saw" — even if the bridge restarted in between. Telegram's inline buttons carry at most 64 bytes of
callback data, while a Rasa payload such as `/inform{"commune": "..."}` can be longer; long payloads are stored here
under a short key.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence

from bot.rasa_client import Button

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS offered_menus (
        sender TEXT PRIMARY KEY,
        payloads TEXT NOT NULL,
        offered_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS long_payloads (
        payload_key TEXT PRIMARY KEY,
        payload TEXT NOT NULL,
        stored_at REAL NOT NULL
    )""",
)


class MenuStore:
    """The last numbered menu per sender, valid for `ttl_s` seconds."""

    def __init__(self, conn: sqlite3.Connection, *, ttl_s: float = 1800.0) -> None:
        self._conn = conn
        self.ttl_s = ttl_s
        for statement in _SCHEMA:
            conn.execute(statement)

    def offer(self, sender: str, buttons: Sequence[Button]) -> None:
        """Remember the menu just shown; an empty list clears it (the newest reply had no choices)."""
        if not buttons:
            self.clear(sender)
            return
        self._conn.execute(
            "INSERT OR REPLACE INTO offered_menus (sender, payloads, offered_at) VALUES (?, ?, ?)",
            (sender, json.dumps([b.payload for b in buttons], ensure_ascii=False), time.time()),
        )

    def size(self, sender: str) -> int:
        payloads = self._payloads(sender)
        return len(payloads) if payloads else 0

    def take(self, sender: str, index: int) -> str | None:
        """Payload of choice `index` (0-based) and forget the menu; None when there is no such live choice."""
        payloads = self._payloads(sender)
        if not payloads or not 0 <= index < len(payloads):
            return None
        self.clear(sender)
        return payloads[index]

    def clear(self, sender: str) -> None:
        self._conn.execute("DELETE FROM offered_menus WHERE sender = ?", (sender,))

    def _payloads(self, sender: str) -> list[str] | None:
        row = self._conn.execute(
            "SELECT payloads, offered_at FROM offered_menus WHERE sender = ?", (sender,)
        ).fetchone()
        if row is None or time.time() - row["offered_at"] > self.ttl_s:
            return None
        return list(json.loads(row["payloads"]))


class PayloadStore:
    """Maps payloads to callback data that fits Telegram's 64-byte limit, and back."""

    LIMIT = 64

    def __init__(self, conn: sqlite3.Connection, *, keep_s: float = 30 * 86400) -> None:
        self._conn = conn
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("DELETE FROM long_payloads WHERE stored_at < ?", (time.time() - keep_s,))

    def to_callback_data(self, payload: str) -> str:
        direct = "p:" + payload
        if len(direct.encode("utf-8")) <= self.LIMIT:
            return direct
        key = "h:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        self._conn.execute(
            "INSERT OR REPLACE INTO long_payloads (payload_key, payload, stored_at) VALUES (?, ?, ?)",
            (key, payload, time.time()),
        )
        return key

    def from_callback_data(self, data: str) -> str | None:
        """The payload behind callback data, or None when it is unknown (foreign or expired)."""
        if data.startswith("p:"):
            return data[2:]
        if data.startswith("h:"):
            row = self._conn.execute("SELECT payload FROM long_payloads WHERE payload_key = ?", (data,)).fetchone()
            return None if row is None else str(row["payload"])
        return None
