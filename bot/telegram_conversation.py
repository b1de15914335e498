"""One Telegram conversation turn: citizen text to Rasa, Rasa's replies back, Rasa outages absorbed.

`TelegramBridge` holds what the handlers share (Rasa client, dedupe keys, long button payloads, the retry queue and
its worker) and does the work: typing indicator while Rasa thinks, text split below Telegram's limit, buttons as an
inline keyboard, images as photos, and — when Rasa is down — an apology, the message parked on disk and answered
when Rasa is back. `PerChatUpdateProcessor` lets chats run concurrently while each chat stays in order.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot import texts
from bot.dedupe import SeenEvents
from bot.keyed_lock import KeyedLocks
from bot.menus import PayloadStore
from bot.rasa_client import BotMessage, Button, RasaBadResponse, RasaClient, RasaUnavailable
from bot.render import TELEGRAM_TEXT_LIMIT, split_text
from bot.retry import PendingMessage, RetryQueue, RetryWorker
from bot.sqlite import connect

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TYPING_REFRESH_S = 4.0  # Telegram shows "typing…" for ~5 s per chat action
BRIDGE_KEY = "danvan_bridge"


@dataclass(frozen=True)
class TelegramConfig:
    """Plain values the lead fills from settings; secrets are hidden from repr."""

    token: str = field(repr=False)
    rasa_url: str
    state_path: Path
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_path: str = "/telegram/webhook"
    poll_timeout_s: float = 10.0
    rasa_timeout_s: float = 30.0
    retry_interval_s: float = 10.0
    retry_base_delay_s: float = 5.0
    retry_max_age_s: float = 2 * 86400
    status_query_template: str = "tra cứu hồ sơ {code}"
    max_concurrent_updates: int = 16
    set_commands: bool = True


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently, those of one chat strictly in order.

    One slow Rasa turn must not hold up every other citizen, but a citizen's second message must not overtake the
    first (the petition form depends on order).
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chats = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._chats.hold(chat.id):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class TelegramBridge:
    """What the handlers share: the Rasa client, the durable state and the retry worker."""

    def __init__(self, config: TelegramConfig, application: Application, rasa: RasaClient) -> None:
        self.config = config
        self.application = application
        self.rasa = rasa
        self._conn = connect(config.state_path)
        self.seen = SeenEvents(self._conn)
        self.payloads = PayloadStore(self._conn)
        self.queue = RetryQueue(self._conn, base_delay_s=config.retry_base_delay_s)
        self.worker = RetryWorker(
            self.queue,
            rasa,
            CHANNEL,
            self._on_retried,
            on_give_up=self._on_give_up,
            interval_s=config.retry_interval_s,
            max_age_s=config.retry_max_age_s,
        )
        self._started = False
        self._closed = False

    async def startup(self) -> None:
        """Start the retry worker and publish the command list (idempotent)."""
        if self._started:
            return
        self._started = True
        self.worker.start()
        if self.config.set_commands:
            try:
                await self.application.bot.set_my_commands(
                    [
                        BotCommand("start", "Giới thiệu trợ lý"),
                        BotCommand("help", "Hướng dẫn sử dụng"),
                        BotCommand("tra_cuu", "Tra cứu hồ sơ theo mã"),
                    ]
                )
            except TelegramError as exc:
                log.warning("could not set the bot's command list: %s", exc)

    async def shutdown(self) -> None:
        """Stop the worker and close the Rasa client and the state database (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.worker.stop()
        await self.rasa.aclose()
        self._conn.close()

    @staticmethod
    def sender_of(chat_id: int | str) -> str:
        return f"{CHANNEL}:{chat_id}"

    async def converse(self, chat_id: int, text: str, metadata: dict[str, Any]) -> None:
        """Send one citizen message to Rasa and render the replies; on outage apologise and queue it."""
        sender = self.sender_of(chat_id)
        if self.queue.has_pending(CHANNEL, sender):
            # Keep order: this message waits behind the earlier one, and both are tried now.
            self.queue.put(CHANNEL, sender, text, metadata)
            self.queue.make_due(CHANNEL, sender)
            self.worker.start()
            self.worker.wake()
            return
        try:
            async with self._typing(chat_id):
                replies = await self.rasa.send(sender, text, metadata)
        except RasaUnavailable as exc:
            log.error("Rasa unavailable, message queued for retry: %s", exc)
            self.queue.put(CHANNEL, sender, text, metadata)
            self.worker.start()
            await self.send_text(chat_id, texts.RASA_UNAVAILABLE)
            return
        except RasaBadResponse as exc:
            log.error("Rasa refused a message: %s", exc)
            await self.send_text(chat_id, texts.RASA_REFUSED)
            return
        await self.render(chat_id, replies)

    async def render(self, chat_id: int | str, replies: Sequence[BotMessage]) -> None:
        """Show Rasa's replies: split text, inline keyboard on the last part, images as photos."""
        if not replies:
            # Rasa answered nothing: a custom action failed (e.g. the action server is down). Never leave
            # the citizen in silence.
            log.error("Rasa returned no reply; told the citizen to resend")
            await self.send_text(chat_id, texts.NO_REPLY)
            return
        for reply in replies:
            markup = self._keyboard(reply.buttons) if reply.buttons else None
            parts = split_text(reply.text, TELEGRAM_TEXT_LIMIT) if reply.text else []
            if markup is not None and not parts:
                parts = [texts.CHOOSE]
            for i, part in enumerate(parts):
                await self.send_text(chat_id, part, markup if i == len(parts) - 1 else None)
            if reply.image:
                await self.application.bot.send_photo(chat_id=chat_id, photo=reply.image)

    def _keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
        rows = [[InlineKeyboardButton(b.title, callback_data=self.payloads.to_callback_data(b.payload))]
                for b in buttons]
        return InlineKeyboardMarkup(rows)

    async def send_text(self, chat_id: int | str, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        return await self.application.bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int) -> AsyncIterator[None]:
        """Keep "typing…" visible while Rasa thinks; a failed chat action never blocks the answer."""

        async def keep_typing() -> None:
            while True:
                try:
                    await self.application.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
                except TelegramError as exc:
                    log.debug("typing indicator failed: %s", exc)
                await asyncio.sleep(TYPING_REFRESH_S)

        task = asyncio.create_task(keep_typing())
        await asyncio.sleep(0)  # let the first chat action go out before the Rasa call
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _on_retried(self, message: PendingMessage, replies: list[BotMessage]) -> None:
        await self.render(message.sender.split(":", 1)[1], replies)

    async def _on_give_up(self, message: PendingMessage) -> None:
        await self.send_text(message.sender.split(":", 1)[1], texts.GAVE_UP)


def bridge_of(application: Application) -> TelegramBridge:
    """The bridge stored in the Application's bot_data by the factory."""
    return application.bot_data[BRIDGE_KEY]
