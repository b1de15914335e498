"""Notices and answers back to the citizen, on the channel the citizen used.

The console's outbox worker calls `Deliverer.deliver_notice(channel, sender_id, notice)` (or `deliver` for plain
text); the sender is chosen by channel from a registry (data, not an if/elif chain), and a sender that knows more
than text (Zalo's templates beyond its 48-hour window) implements `send_notice`. A failure is raised as
`DeliveryError` with a `retryable` flag so the outbox backs off and tries again, or stops for good — never silently.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.render import TELEGRAM_TEXT_LIMIT, ZALO_TEXT_LIMIT, split_text
from bot.sqlite import connect
from bot.zalo_client import OUTSIDE_WINDOW_ERRORS, ZaloOAClient, ZaloSendError, last_inbound
from bot.zalo_config import ZaloConfig, build_zalo_client

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The message did not reach the citizen. `retryable`: trying again later may succeed."""

    def __init__(self, channel: str, recipient: str, reason: str, *, retryable: bool) -> None:
        super().__init__(f"{channel} delivery failed: {reason}")
        self.channel = channel
        self.recipient = recipient
        self.reason = reason
        self.retryable = retryable


class UnknownChannel(DeliveryError):
    """No sender is configured for this channel (e.g. the petition came from the web chat)."""

    def __init__(self, channel: str, recipient: str) -> None:
        super().__init__(channel, recipient, "no sender configured for this channel", retryable=False)


@dataclass(frozen=True)
class Delivered:
    channel: str
    recipient: str
    parts: int
    via: str = "message"  # "zns": a Zalo template message beyond the 48-hour window


@dataclass(frozen=True)
class OutboundNotice:
    """One notice about a petition: the rendered text, and the facts a template-based channel fills in instead."""

    event: str  # accepted | reassigned | answered | closed | rejected
    text: str
    code: str
    agency: str  # the agency's display name
    status: str  # the status label the citizen reads
    key: str  # unique per notice; channels that accept one get it as their tracking id
    phone: str | None = field(default=None, repr=False)  # the citizen's phone ("+84…"), only for ZNS


class ChannelSender(Protocol):
    """One outbound channel; raises DeliveryError on failure."""

    channel: str

    async def send_text(self, recipient: str, text: str) -> int: ...

    async def aclose(self) -> None: ...


class TelegramSender:
    """Sends through the Bot API with a plain PTB `Bot` (no polling, no handlers)."""

    channel = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._ready = False

    async def send_text(self, recipient: str, text: str) -> int:
        parts = split_text(text, TELEGRAM_TEXT_LIMIT)
        try:
            if not self._ready:
                await self.bot.initialize()
                self._ready = True
            for part in parts:
                await self.bot.send_message(chat_id=int(recipient), text=part)
        except (Forbidden, BadRequest) as exc:  # blocked the bot, chat gone, bad chat id: retrying won't help
            raise DeliveryError(self.channel, recipient, f"{type(exc).__name__}: {exc}", retryable=False) from exc
        except TelegramError as exc:  # network, rate limit, bad token (fixable by an admin)
            raise DeliveryError(self.channel, recipient, f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except ValueError as exc:
            raise DeliveryError(self.channel, recipient, "not a Telegram chat id", retryable=False) from exc
        return len(parts)

    async def aclose(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False


class ZaloSender:
    """Sends OA consultation messages, or ZNS templates beyond the 48-hour window; shares the token file and the
    state database (where the bridge notes each citizen's last message) with the webhook bridge."""

    channel = "zalo"

    def __init__(self, client: ZaloOAClient, http: httpx.AsyncClient | None = None, *,
                 text_limit: int = ZALO_TEXT_LIMIT, state_db: str | None = None, free_window_s: float = 48 * 3600,
                 zns_templates: dict[str, str] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self._http = http
        self.text_limit = text_limit
        self.state_db = state_db
        self.free_window_s = free_window_s
        self.zns_templates = dict(zns_templates or {})
        self.clock = clock
        self._conn: sqlite3.Connection | None = None

    def _last_inbound_ms(self, recipient: str) -> int | None:
        if self.state_db is None:
            return None
        if self._conn is None:
            self._conn = connect(self.state_db)
        return last_inbound(self._conn, recipient)

    async def send_notice(self, recipient: str, notice: OutboundNotice) -> Delivered:
        """A free message inside the window (or when this deployment never saw the citizen write: Zalo decides,
        and its -230 sends us to the template); a ZNS template outside it."""
        seen_ms = self._last_inbound_ms(recipient)
        if seen_ms is not None and self.clock() - seen_ms / 1000 > self.free_window_s:
            return await self._send_template(recipient, notice)
        try:
            parts = await self.send_text(recipient, notice.text)
        except _OutsideWindow:
            return await self._send_template(recipient, notice)
        return Delivered(self.channel, recipient, parts)

    async def _send_template(self, recipient: str, notice: OutboundNotice) -> Delivered:
        template_id = self.zns_templates.get(notice.event, "")
        if not template_id:
            raise DeliveryError(self.channel, recipient, f"outside Zalo's 48-hour window and no ZNS template for "
                                f"'{notice.event}': the citizen checks with the tracking code", retryable=False)
        if not notice.phone:
            raise DeliveryError(self.channel, recipient, "outside Zalo's 48-hour window and no phone number for a "
                                "ZNS template: the citizen checks with the tracking code", retryable=False)
        data = {"code": notice.code, "agency": notice.agency, "status": notice.status}
        try:
            await self.client.send_template(notice.phone, template_id, data, tracking_id=notice.key)
        except ZaloSendError as exc:
            raise DeliveryError(self.channel, recipient, f"ZNS error {exc.code}: {exc}",
                                retryable=exc.retryable) from exc
        return Delivered(self.channel, recipient, 1, via="zns")

    async def send_text(self, recipient: str, text: str) -> int:
        parts = split_text(text, self.text_limit)
        try:
            for part in parts:
                await self.client.send_text(recipient, part)
        except ZaloSendError as exc:
            error = _OutsideWindow if exc.code in OUTSIDE_WINDOW_ERRORS else DeliveryError
            raise error(self.channel, recipient, f"error {exc.code}: {exc}", retryable=exc.retryable) from exc
        return len(parts)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _OutsideWindow(DeliveryError):
    """Zalo's -230: the free-message window is closed for this citizen."""


class Deliverer:
    """Registry of channel senders; `deliver` picks one by the petition's channel."""

    def __init__(self, senders: Iterable[ChannelSender]) -> None:
        self._senders = {sender.channel: sender for sender in senders}

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._senders)

    def _sender(self, channel: str, sender_id: str, text: str) -> tuple[ChannelSender, str]:
        recipient = sender_id.split(":", 1)[1] if sender_id.startswith(f"{channel}:") else sender_id
        sender = self._senders.get(channel)
        if sender is None:
            raise UnknownChannel(channel, recipient)
        if not text.strip():
            raise DeliveryError(channel, recipient, "empty message", retryable=False)
        return sender, recipient

    async def deliver(self, channel: str, sender_id: str, text: str) -> Delivered:
        """Send `text` to the citizen; `sender_id` may be Rasa's ("zalo:123") or the bare channel id ("123")."""
        sender, recipient = self._sender(channel, sender_id, text)
        try:
            parts = await sender.send_text(recipient, text)
        except DeliveryError as exc:
            log.warning("delivery on %s failed (retryable=%s): %s", channel, exc.retryable, exc.reason)
            raise
        log.info("delivered a message on %s in %d part(s)", channel, parts)
        return Delivered(channel, recipient, parts)

    async def deliver_notice(self, channel: str, sender_id: str, notice: OutboundNotice) -> Delivered:
        """Send a notice: through the sender's own `send_notice` when it has one, else as its text."""
        sender, recipient = self._sender(channel, sender_id, notice.text)
        send_notice = getattr(sender, "send_notice", None)
        try:
            if send_notice is not None:
                delivered: Delivered = await send_notice(recipient, notice)
            else:
                delivered = Delivered(channel, recipient, await sender.send_text(recipient, notice.text))
        except DeliveryError as exc:
            log.warning("%s notice on %s failed (retryable=%s): %s", notice.event, channel, exc.retryable,
                        exc.reason)
            raise
        log.info("delivered a %s notice on %s via %s", notice.event, channel, delivered.via)
        return delivered

    async def aclose(self) -> None:
        for sender in self._senders.values():
            await sender.aclose()


@dataclass(frozen=True)
class TelegramDeliveryConfig:
    token: str = field(repr=False)
    base_url: str = "https://api.telegram.org/bot"


def build_deliverer(
    *, telegram: TelegramDeliveryConfig | None = None, zalo: ZaloConfig | None = None,
    extra: Iterable[ChannelSender] = (),
) -> Deliverer:
    """A Deliverer for the channels that are configured; others raise UnknownChannel.

    `extra` registers senders built elsewhere (the web chat's, which lives in the console); one for a channel
    named here too replaces the built-in one.
    """
    senders: list[ChannelSender] = []
    if telegram is not None and telegram.token:
        senders.append(TelegramSender(Bot(telegram.token, base_url=telegram.base_url)))
    if zalo is not None and zalo.app_id:
        http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        senders.append(ZaloSender(build_zalo_client(zalo, http), http, text_limit=zalo.text_limit,
                                  state_db=str(zalo.state_db), free_window_s=zalo.free_window_s,
                                  zns_templates=zalo.zns_templates))
    senders.extend(extra)
    return Deliverer(senders)
