"""Messages that reached us while Rasa was down: kept on disk and sent again, in order, when Rasa is back.

A citizen's message is never dropped because Rasa restarted. The bridge answers with an apology, stores the
message here, and a small worker re-posts it with growing back-off. Messages of one sender keep their order: a
later message waits while an earlier one of the same sender is still pending.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.rasa_client import BotMessage, RasaBadResponse, RasaClient, RasaUnavailable

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    next_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class PendingMessage:
    """A citizen's message waiting for Rasa; `sender` is the Rasa sender id (e.g. "telegram:42")."""

    id: int
    channel: str
    sender: str
    text: str
    metadata: Mapping[str, Any]
    attempts: int
    created_at: float
    next_at: float


class RetryQueue:
    """Durable FIFO of pending messages per channel with exponential back-off per message."""

    def __init__(self, conn: sqlite3.Connection, *, base_delay_s: float = 5.0, max_delay_s: float = 300.0) -> None:
        self._conn = conn
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        conn.execute(_SCHEMA)
        conn.execute("CREATE INDEX IF NOT EXISTS pending_by_channel ON pending_messages (channel, id)")

    def put(self, channel: str, sender: str, text: str, metadata: Mapping[str, Any] | None = None) -> int:
        now = time.time()
        cursor = self._conn.execute(
            "INSERT INTO pending_messages (channel, sender, text, metadata, created_at, next_at) VALUES (?,?,?,?,?,?)",
            (channel, sender, text, json.dumps(dict(metadata or {}), ensure_ascii=False), now, now + self.base_delay_s),
        )
        return int(cursor.lastrowid or 0)

    def has_pending(self, channel: str, sender: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM pending_messages WHERE channel = ? AND sender = ? LIMIT 1", (channel, sender)
        ).fetchone()
        return row is not None

    def make_due(self, channel: str, sender: str) -> None:
        """The sender is active again: try their pending messages at the next pass instead of after back-off."""
        self._conn.execute(
            "UPDATE pending_messages SET next_at = ? WHERE channel = ? AND sender = ?", (time.time(), channel, sender)
        )

    def pending(self, channel: str, limit: int = 200) -> list[PendingMessage]:
        rows = self._conn.execute(
            "SELECT * FROM pending_messages WHERE channel = ? ORDER BY id LIMIT ?", (channel, limit)
        ).fetchall()
        return [
            PendingMessage(
                id=row["id"],
                channel=row["channel"],
                sender=row["sender"],
                text=row["text"],
                metadata=json.loads(row["metadata"]),
                attempts=row["attempts"],
                created_at=row["created_at"],
                next_at=row["next_at"],
            )
            for row in rows
        ]

    def count(self, channel: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM pending_messages WHERE channel = ?", (channel,)).fetchone()
        return int(row[0])

    def done(self, message_id: int) -> None:
        self._conn.execute("DELETE FROM pending_messages WHERE id = ?", (message_id,))

    def postpone(self, message: PendingMessage) -> None:
        delay = min(self.max_delay_s, self.base_delay_s * (2 ** min(message.attempts, 16)))
        self._conn.execute(
            "UPDATE pending_messages SET attempts = attempts + 1, next_at = ? WHERE id = ?",
            (time.time() + delay, message.id),
        )


RepliesHandler = Callable[[PendingMessage, list[BotMessage]], Awaitable[None]]
GiveUpHandler = Callable[[PendingMessage], Awaitable[None]]


class RetryWorker:
    """Background task that drains one channel's pending messages into Rasa and hands the replies back."""

    def __init__(
        self,
        queue: RetryQueue,
        rasa: RasaClient,
        channel: str,
        on_replies: RepliesHandler,
        *,
        on_give_up: GiveUpHandler | None = None,
        interval_s: float = 10.0,
        max_age_s: float = 2 * 86400,
    ) -> None:
        self.queue = queue
        self.rasa = rasa
        self.channel = channel
        self.on_replies = on_replies
        self.on_give_up = on_give_up
        self.interval_s = interval_s
        self.max_age_s = max_age_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop in the running event loop (idempotent)."""
        if not self.running:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"retry-{self.channel}")

    def wake(self) -> None:
        """Run a pass now rather than at the next interval."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken pass must not end retries for everyone
                log.exception("retry pass for %s failed", self.channel)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            self._wake.clear()

    async def run_once(self) -> int:
        """One pass over due messages; returns how many reached Rasa. Stops early when Rasa is still down."""
        now = time.time()
        blocked: set[str] = set()
        delivered = 0
        for message in self.queue.pending(self.channel):
            if message.sender in blocked:
                continue
            if now - message.created_at > self.max_age_s:
                log.error("giving up on a %s message pending since %.0f s (id %s)", self.channel,
                          now - message.created_at, message.id)
                self.queue.done(message.id)
                if self.on_give_up is not None:
                    await self.on_give_up(message)
                continue
            if message.next_at > now:
                blocked.add(message.sender)
                continue
            try:
                replies = await self.rasa.send(message.sender, message.text, message.metadata)
            except RasaUnavailable as exc:
                log.warning("Rasa still unavailable for %d pending %s message(s): %s",
                            self.queue.count(self.channel), self.channel, exc)
                self.queue.postpone(message)
                return delivered
            except RasaBadResponse as exc:
                log.error("Rasa refused pending message %s for good: %s", message.id, exc)
                self.queue.done(message.id)
                if self.on_give_up is not None:
                    await self.on_give_up(message)
                continue
            self.queue.done(message.id)
            delivered += 1
            try:
                await self.on_replies(message, replies)
            except Exception:
                log.exception("could not send Rasa's replies for pending message %s", message.id)
        return delivered
