"""The web chat's memory: each browser's conversation, kept in the petitions database.

Why in the database and not in the web process or the cookie: a reload, a restart or a second web process must show
the same conversation, an operator's answer (written by whichever process delivers it) must reach the open page, and
the cookie must carry nothing but a random chat id. Lines are capped per chat (oldest dropped) and bounded in
length; a chat idle longer than the tracker retention is purged with its lines, like Rasa's own events
(`DANVAN_TRACKER_RETENTION_DAYS`). "Xóa cuộc trò chuyện" deletes the lines at once and leaves a tombstone, so the
ended id is never accepted again even if someone kept a copy of the cookie.

`WebChatSender` is the web channel of bot/delivery.py: delivering to "web:<hex>" appends a bot line to that chat.
The schema is owned by the petitions migrations (revision 0005); the models here must match it
(tests/test_webchat_memory.py checks for drift).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.delivery import DeliveryError
from bot.render import split_text
from petitions.models import NAMING
from petitions.tracker_privacy import REDACTED

log = logging.getLogger(__name__)

SENDER_RE = re.compile(r"web:[0-9a-f]{16}")
WHO = ("user", "bot")
MAX_BUTTONS = 10
MAX_BUTTON_TITLE = 120
MAX_BUTTON_PAYLOAD = 500


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class WebChat(Base):
    """One chat identity (a browser), alive until it ends or idles past the retention."""

    __tablename__ = "webchat"

    sender_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebChatLine(Base):
    """One line of a chat as the citizen saw it: what they typed (or the button they pressed) or a bot message."""

    __tablename__ = "webchat_line"
    __table_args__ = (
        CheckConstraint("who IN ('user', 'bot')", name="who"),
        Index("ix_webchat_line_sender_id_id", "sender_id", "id"),
        {"sqlite_autoincrement": True},  # ids only grow: the live stream sends "lines with id > last seen"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("webchat.sender_id", ondelete="CASCADE"))
    who: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of {"title", "payload"}
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class ChatLogConfig:
    """Caps and timings of the web chat's memory and live stream (settings DANVAN_CHAT_*)."""

    history_lines: int = 200
    line_chars: int = 5000
    retention_days: int = 90
    stream_poll_s: float = 1.0
    stream_seconds: float = 8.0  # below the 10 s a stopping web process is given (danvan/procs.py)
    streams_per_chat: int = 3
    # The retention purge runs from the web process at most this often (`danvan tracker purge` may also call it).
    purge_every_s: float = 3600.0


def chat_log_config(settings: Any) -> ChatLogConfig:
    """The config from danvan's Settings (duck-typed: console/ does not import danvan/)."""
    return ChatLogConfig(
        history_lines=settings.chat_history_lines, line_chars=settings.chat_line_chars,
        retention_days=settings.tracker_retention_days, stream_poll_s=settings.chat_stream_poll_s,
        stream_seconds=settings.chat_stream_seconds, streams_per_chat=settings.chat_streams_per_chat,
    )


@dataclass(frozen=True)
class ChatLine:
    id: int
    who: str
    text: str
    buttons: tuple[dict[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "who": self.who, "text": self.text, "buttons": list(self.buttons)}


@dataclass(frozen=True)
class NewLine:
    who: str
    text: str
    buttons: tuple[dict[str, str], ...] = ()


class ChatEnded(Exception):
    """The chat was ended with "Xóa cuộc trò chuyện": nothing is written to it any more."""


def valid_sender(sender: object) -> TypeGuard[str]:
    """A web chat id as this app issues them ("web:" and 16 hex digits); anything else is not one of ours."""
    return isinstance(sender, str) and SENDER_RE.fullmatch(sender) is not None


def clean_buttons(buttons: Any) -> tuple[dict[str, str], ...]:
    """Rasa's buttons reduced to bounded title/payload pairs; anything else is dropped."""
    if not isinstance(buttons, list):
        return ()
    kept = []
    for button in buttons[:MAX_BUTTONS]:
        if not isinstance(button, dict):
            continue
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and isinstance(payload, str) and title and payload:
            kept.append({"title": title[:MAX_BUTTON_TITLE], "payload": payload[:MAX_BUTTON_PAYLOAD]})
    return tuple(kept)


def _now() -> datetime:
    return datetime.now(UTC)


def _line(row: WebChatLine) -> ChatLine:
    buttons: tuple[dict[str, str], ...] = ()
    if row.buttons:
        try:
            buttons = clean_buttons(json.loads(row.buttons))
        except ValueError:
            buttons = ()
    return ChatLine(id=row.id, who=row.who, text=row.text, buttons=buttons)


class ChatLog:
    """Reads and writes chats; every method is one short transaction, safe from several processes at once."""

    def __init__(self, engine: Engine, config: ChatLogConfig | None = None) -> None:
        self.engine = engine
        self.config = config or ChatLogConfig()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._purge_lock = threading.Lock()
        self._last_purge = 0.0

    def is_ended(self, sender: str) -> bool:
        with self._sessions() as session:
            ended = session.scalar(select(WebChat.ended_at).where(WebChat.sender_id == sender))
        return ended is not None

    def lines(self, sender: str, *, after: int = 0, limit: int | None = None) -> list[ChatLine]:
        """The chat's lines with id > `after`, oldest first (the index on (sender_id, id) serves it)."""
        stmt = (select(WebChatLine).where(WebChatLine.sender_id == sender, WebChatLine.id > after)
                .order_by(WebChatLine.id).limit(limit or self.config.history_lines))
        with self._sessions() as session:
            return [_line(row) for row in session.scalars(stmt)]

    def _split(self, line: NewLine) -> list[NewLine]:
        """A bot text longer than a line is kept whole, in several lines; what a citizen typed is cut (the chat
        refuses messages over its own limit before they get here)."""
        limit = self.config.line_chars
        if line.who == "bot" and len(line.text) > limit:
            parts = split_text(line.text, limit) or [""]
            return [NewLine("bot", p[:limit]) for p in parts[:-1]] + [NewLine("bot", parts[-1][:limit], line.buttons)]
        return [NewLine(line.who, line.text[:limit], line.buttons)]

    def append(self, sender: str, *lines: NewLine) -> list[ChatLine]:
        """Store lines at the end of the chat (creating the chat on first use) and drop the oldest beyond the cap.

        Raises ChatEnded for an ended chat and ValueError for a sender that is not a web chat id."""
        if not valid_sender(sender):
            raise ValueError("not a web chat id")
        now = _now()
        rows = [WebChatLine(sender_id=sender, who=part.who, text=part.text, created_at=now,
                            buttons=json.dumps(list(part.buttons), ensure_ascii=False) if part.buttons else None)
                for line in lines if line.who in WHO for part in self._split(line)]
        with self._sessions.begin() as session:
            chat = session.get(WebChat, sender, with_for_update=True)
            if chat is None:
                session.add(WebChat(sender_id=sender, created_at=now, last_seen_at=now))
                session.flush()
            elif chat.ended_at is not None:
                raise ChatEnded(sender)
            else:
                chat.last_seen_at = now
            session.add_all(rows)
            session.flush()
            self._cap(session, sender)
        return [_line(row) for row in rows]

    def redact_since(self, sender: str, since: datetime) -> int:
        """Blank what was said from `since` on (a petition form cancelled or filed anonymously): the same promise
        the tracker store keeps (petitions/tracker_privacy.py), kept in the history the citizen's page shows."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(WebChatLine).where(WebChatLine.sender_id == sender, WebChatLine.created_at >= since)
                .values(text=REDACTED, buttons=None))
        return int(getattr(result, "rowcount", 0) or 0)

    def _cap(self, session: Session, sender: str) -> None:
        oldest_kept = session.scalar(
            select(WebChatLine.id).where(WebChatLine.sender_id == sender)
            .order_by(WebChatLine.id.desc()).offset(self.config.history_lines - 1).limit(1))
        if oldest_kept is not None:
            session.execute(delete(WebChatLine).where(WebChatLine.sender_id == sender, WebChatLine.id < oldest_kept))

    def end(self, sender: str) -> None:
        """"Xóa cuộc trò chuyện": delete every line now; the tombstone refuses the id until the retention purge."""
        now = _now()
        with self._sessions.begin() as session:
            session.execute(delete(WebChatLine).where(WebChatLine.sender_id == sender))
            if session.get(WebChat, sender) is None:
                session.add(WebChat(sender_id=sender, created_at=now, last_seen_at=now, ended_at=now))
            else:
                session.execute(update(WebChat).where(WebChat.sender_id == sender)
                                .values(ended_at=now, last_seen_at=now))

    def purge(self, now: datetime | None = None) -> int:
        """Delete lines older than the retention, and chats idle that long (tombstones included)."""
        cutoff = (now or _now()) - timedelta(days=self.config.retention_days)
        with self._sessions.begin() as session:
            idle = select(WebChat.sender_id).where(WebChat.last_seen_at < cutoff)
            result = session.execute(delete(WebChatLine).where(
                (WebChatLine.created_at < cutoff) | WebChatLine.sender_id.in_(idle)))
            lines = int(getattr(result, "rowcount", 0) or 0)  # a DELETE's CursorResult
            session.execute(delete(WebChat).where(WebChat.last_seen_at < cutoff))
        return lines

    def purge_if_due(self) -> None:
        """Run the retention purge from a request path, at most once per `purge_every_s` in this process."""
        if time.monotonic() - self._last_purge < self.config.purge_every_s or not self._purge_lock.acquire(False):
            return
        try:
            self._last_purge = time.monotonic()
            removed = self.purge()
            if removed:
                log.info("web chat retention: %d old lines deleted", removed)
        except SQLAlchemyError as exc:
            log.error("web chat retention purge failed: %s", type(exc).__name__)
        finally:
            self._purge_lock.release()


def open_chat_log(database_url: str, config: ChatLogConfig | None = None) -> ChatLog:
    """A ChatLog on the petitions database, migrated (the tables come with revision 0005)."""
    from petitions.migrations import upgrade
    from petitions.store import make_engine

    engine = make_engine(database_url or "sqlite://")
    upgrade(engine)
    return ChatLog(engine, config)


class WebChatSender:
    """The web channel for bot/delivery.py: an operator's answer or a status notice becomes a bot line of the
    citizen's web chat, shown live on an open page and waiting in the history otherwise.

    `chat_log` is a ChatLog or a zero-argument callable returning one (called on the first delivery, so building
    the deliverer connects nothing); `for_database` builds the latter from a database URL."""

    channel = "web"

    def __init__(self, chat_log: ChatLog | Callable[[], ChatLog]) -> None:
        self._source = chat_log
        self._log: ChatLog | None = chat_log if isinstance(chat_log, ChatLog) else None
        self._owned = False
        self._lock = threading.Lock()

    @classmethod
    def for_database(cls, database_url: str, config: ChatLogConfig | None = None) -> WebChatSender:
        sender = cls(lambda: open_chat_log(database_url, config))
        sender._owned = True
        return sender

    def _chat_log(self) -> ChatLog:
        with self._lock:
            if self._log is None:
                assert callable(self._source)
                self._log = self._source()
            return self._log

    def _append(self, recipient: str, text: str) -> int:
        # The Deliverer hands over the channel's own id (the hex after "web:"); the petition's sender_id works too.
        sender = recipient if recipient.startswith("web:") else f"web:{recipient}"
        return len(self._chat_log().append(sender, NewLine("bot", text)))

    async def send_text(self, recipient: str, text: str) -> int:
        try:
            return await asyncio.to_thread(self._append, recipient, text)
        except ChatEnded as exc:
            raise DeliveryError(self.channel, recipient, "the citizen ended this web chat", retryable=False) from exc
        except ValueError as exc:
            raise DeliveryError(self.channel, recipient, "not a web chat id", retryable=False) from exc
        except SQLAlchemyError as exc:
            raise DeliveryError(self.channel, recipient, f"database: {type(exc).__name__}", retryable=True) from exc

    async def aclose(self) -> None:
        """Dispose of the engine only when this sender opened it."""
        if self._owned and self._log is not None:
            self._log.engine.dispose()
            self._log = None
