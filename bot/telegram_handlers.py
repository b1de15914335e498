"""The Telegram handlers, each small, and the one table that wires them (see `register_handlers`).

/start, /help, /tra_cuu <mã>, private text → Rasa, button press → payload to Rasa, other private messages → "text
only". A group -1 handler drops updates already handled (same update_id): Telegram redelivers after crashes and
webhook timeouts, and a repeated message must not reach Rasa twice (it could file a second petition).
"""
from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.telegram_conversation import BRIDGE_KEY, CHANNEL, TelegramBridge

log = logging.getLogger(__name__)


def _bridge(context: ContextTypes.DEFAULT_TYPE) -> TelegramBridge:
    return context.application.bot_data[BRIDGE_KEY]


def _chat_id(update: Update) -> int:
    """The chat an update came from; every handler below is registered for chat updates, so a missing one is a
    wiring error (logged by `on_error`), not a citizen's input."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return chat.id


def _metadata(update: Update, **extra: Any) -> dict[str, Any]:
    """What Rasa (and the petition store's idempotency key) may use; no names or phone numbers."""
    chat = update.effective_chat
    data: dict[str, Any] = {"channel": CHANNEL, "update_id": update.update_id, "chat_id": chat.id if chat else None}
    message = update.effective_message
    if message is not None:
        data["message_id"] = message.message_id
        data["sent_at"] = message.date.astimezone(UTC).isoformat()
    data.update(extra)
    return data


async def drop_redelivered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update that was already handled (Telegram redelivers after crashes and webhook timeouts)."""
    if not _bridge(context).seen.claim(f"{CHANNEL}:{context.bot.id}", update.update_id):
        log.info("ignoring redelivered update %s", update.update_id)
        raise ApplicationHandlerStop


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and say what the assistant does."""
    await _bridge(context).send_text(_chat_id(update), texts.START)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask, file a petition and check its status."""
    await _bridge(context).send_text(_chat_id(update), texts.HELP)


async def on_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tra_cuu <mã>: ask Rasa for the status of a tracking code."""
    bridge = _bridge(context)
    chat_id = _chat_id(update)
    code = " ".join(context.args or []).strip()
    if not code:
        await bridge.send_text(chat_id, texts.STATUS_USAGE)
        return
    query = bridge.config.status_query_template.format(code=code)
    await bridge.converse(chat_id, query, _metadata(update, command="tra_cuu", message_key=_message_key(update)))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A citizen's text goes to Rasa; its replies come back rendered."""
    message = update.effective_message
    if message is None or message.text is None:  # filters.TEXT lets only text messages through
        return
    await _bridge(context).converse(_chat_id(update), message.text, _metadata(update, message_key=_message_key(update)))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline-button press sends the button's payload to Rasa and closes the keyboard."""
    bridge = _bridge(context)
    query = update.callback_query
    if query is None:  # CallbackQueryHandler passes only button presses
        return
    await query.answer()
    chat = update.effective_chat
    if chat is None:
        return
    payload = bridge.payloads.from_callback_data(query.data or "")
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:  # the message may be too old to edit; the press still counts
            log.debug("could not remove the keyboard: %s", exc)
    if payload is None:
        await bridge.send_text(chat.id, texts.BUTTON_EXPIRED)
        return
    await bridge.converse(chat.id, payload, _metadata(update, message_key=f"{CHANNEL}:cb:{query.id}", button=True))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice…: say that only text is understood."""
    await _bridge(context).send_text(_chat_id(update), texts.TEXT_ONLY)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log handler failures once, without the message content."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)


def _message_key(update: Update) -> str:
    message = update.effective_message
    return f"{CHANNEL}:{_chat_id(update)}:{message.message_id if message else update.update_id}"


def register_handlers(application: Application) -> None:
    """All wiring in one place."""
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, drop_redelivered), group=-1)
    application.add_handlers(
        [
            CommandHandler("start", on_start, filters=private),
            CommandHandler("help", on_help, filters=private),
            CommandHandler("tra_cuu", on_status, filters=private),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
            CallbackQueryHandler(on_button),
            MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other),
        ]
    )
    application.add_error_handler(on_error)
