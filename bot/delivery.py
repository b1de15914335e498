"""Operators' answers back to the citizen, on the channel the citizen used.

The console calls `Deliverer.deliver(channel, sender_id, text)`; the sender is chosen by channel from a registry
(data, not an if/elif chain). A failure is raised as `DeliveryError` with a `retryable` flag so the caller records
it on the petition and tries again later — never dropped silently.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.render import TELEGRAM_TEXT_LIMIT, ZALO_TEXT_LIMIT, split_text
from bot.zalo_client import ZaloOAClient, ZaloSendError
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
    """Sends OA consultation messages; shares the token file with the webhook bridge."""

    channel = "zalo"

    def __init__(self, client: ZaloOAClient, http: httpx.AsyncClient | None = None, *,
                 text_limit: int = ZALO_TEXT_LIMIT) -> None:
        self.client = client
        self._http = http
        self.text_limit = text_limit

    async def send_text(self, recipient: str, text: str) -> int:
        parts = split_text(text, self.text_limit)
        try:
            for part in parts:
                await self.client.send_text(recipient, part)
        except ZaloSendError as exc:
            raise DeliveryError(self.channel, recipient, f"error {exc.code}: {exc}", retryable=exc.retryable) from exc
        return len(parts)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


class Deliverer:
    """Registry of channel senders; `deliver` picks one by the petition's channel."""

    def __init__(self, senders: Iterable[ChannelSender]) -> None:
        self._senders = {sender.channel: sender for sender in senders}

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._senders)

    async def deliver(self, channel: str, sender_id: str, text: str) -> Delivered:
        """Send `text` to the citizen; `sender_id` may be Rasa's ("zalo:123") or the bare channel id ("123")."""
        recipient = sender_id.split(":", 1)[1] if sender_id.startswith(f"{channel}:") else sender_id
        sender = self._senders.get(channel)
        if sender is None:
            raise UnknownChannel(channel, recipient)
        if not text.strip():
            raise DeliveryError(channel, recipient, "empty message", retryable=False)
        try:
            parts = await sender.send_text(recipient, text)
        except DeliveryError as exc:
            log.warning("delivery on %s failed (retryable=%s): %s", channel, exc.retryable, exc.reason)
            raise
        log.info("delivered an answer on %s in %d part(s)", channel, parts)
        return Delivered(channel, recipient, parts)

    async def aclose(self) -> None:
        for sender in self._senders.values():
            await sender.aclose()


@dataclass(frozen=True)
class TelegramDeliveryConfig:
    token: str = field(repr=False)
    base_url: str = "https://api.telegram.org/bot"


def build_deliverer(
    *, telegram: TelegramDeliveryConfig | None = None, zalo: ZaloConfig | None = None
) -> Deliverer:
    """A Deliverer for the channels that are configured; others raise UnknownChannel."""
    senders: list[ChannelSender] = []
    if telegram is not None and telegram.token:
        senders.append(TelegramSender(Bot(telegram.token, base_url=telegram.base_url)))
    if zalo is not None and zalo.app_id:
        http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        senders.append(ZaloSender(build_zalo_client(zalo, http), http, text_limit=zalo.text_limit))
    return Deliverer(senders)
