"""Remembering which inbound events were already handled, across restarts.

Telegram redelivers an update when its offset was not confirmed (a crash, a webhook timeout); Zalo re-posts an
event that was not acknowledged in time. Each event is claimed once by its id; a second claim of the same id says
"already handled" so no message reaches Rasa twice (which could create a second petition).
"""
from __future__ import annotations

import logging
import sqlite3
import time

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (
    namespace TEXT NOT NULL,
    event_key TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (namespace, event_key)
)
"""


class SeenEvents:
    """A set of (namespace, key) pairs with first-seen times, pruned after `keep_s` seconds."""

    def __init__(self, conn: sqlite3.Connection, *, keep_s: float = 7 * 86400, prune_every: int = 500) -> None:
        self._conn = conn
        self._keep_s = keep_s
        self._prune_every = prune_every
        self._claims = 0
        conn.execute(_SCHEMA)
        self.prune()

    def claim(self, namespace: str, key: str | int) -> bool:
        """True the first time this event is seen; False for a redelivery."""
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO seen_events (namespace, event_key, seen_at) VALUES (?, ?, ?)",
            (namespace, str(key), time.time()),
        )
        self._claims += 1
        if self._claims % self._prune_every == 0:
            self.prune()
        return cursor.rowcount == 1

    def prune(self) -> int:
        """Forget events older than the retention window (redeliveries come within hours, not weeks)."""
        cursor = self._conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (time.time() - self._keep_s,))
        return cursor.rowcount
