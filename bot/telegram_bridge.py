"""Telegram ⇄ Rasa bridge built on python-telegram-bot 22: the factory and the ways to run it.

Rasa's own Telegram connector needs aiogram 2 and a public webhook, so citizens' Telegram messages go through this
PTB Application to Rasa's REST channel instead (DESIGN §5). `build_telegram_app(config)` builds the Application;
`start_telegram` / `stop_telegram` run it in polling (local) or webhook (production) mode inside an existing event
loop, `run_telegram_polling` runs it stand-alone, and `telegram_webhook_route` / `create_telegram_webhook_app` give
the Starlette endpoint that checks Telegram's secret-token header. Handlers: bot/telegram_handlers.py; the work of a
turn: bot/telegram_conversation.py.
"""
from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.rasa_client import RasaClient
from bot.telegram_conversation import BRIDGE_KEY, PerChatUpdateProcessor, TelegramBridge, TelegramConfig, bridge_of
from bot.telegram_handlers import register_handlers

__all__ = [
    "ALLOWED_UPDATES", "SECRET_HEADER", "TelegramConfig", "bridge_of", "build_telegram_app",
    "create_telegram_webhook_app", "run_telegram_polling", "start_telegram", "stop_telegram",
    "telegram_lifespan", "telegram_webhook_route",
]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_telegram_app(config: TelegramConfig, *, rasa: RasaClient | None = None) -> Application:
    """The PTB Application with our handlers; nothing touches the network until it is initialised."""
    if not config.token:
        raise ValueError("a Telegram bot token is required")

    async def post_init(app: Application) -> None:
        await app.bot_data[BRIDGE_KEY].startup()

    async def post_shutdown(app: Application) -> None:
        await app.bot_data[BRIDGE_KEY].shutdown()

    application = (
        Application.builder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .concurrent_updates(PerChatUpdateProcessor(config.max_concurrent_updates))
        .get_updates_read_timeout(config.poll_timeout_s + 10)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    client = rasa or RasaClient(config.rasa_url, timeout_s=config.rasa_timeout_s)
    application.bot_data[BRIDGE_KEY] = TelegramBridge(config, application, client)
    register_handlers(application)
    return application


async def start_telegram(application: Application, *, webhook: bool = False) -> None:
    """Initialise and start inside the running loop: long polling, or registering our webhook with Telegram."""
    bridge = bridge_of(application)
    config = bridge.config
    if webhook and not (config.webhook_url and config.webhook_secret):
        raise ValueError("webhook mode needs both a public webhook URL and a secret token")
    await application.initialize()
    await bridge.startup()
    await application.start()
    if webhook:
        await application.bot.set_webhook(
            url=config.webhook_url, secret_token=config.webhook_secret, allowed_updates=ALLOWED_UPDATES
        )
    else:
        if application.updater is None:
            raise ValueError("polling mode needs an Application built with an updater")
        await application.updater.start_polling(
            poll_interval=0.0, timeout=timedelta(seconds=config.poll_timeout_s), allowed_updates=ALLOWED_UPDATES
        )
    log.info("Telegram bridge started (%s)", "webhook" if webhook else "polling")


async def stop_telegram(application: Application) -> None:
    """Stop polling (confirming the last offset), the handlers and the worker; close clients."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await bridge_of(application).shutdown()


def run_telegram_polling(config: TelegramConfig) -> None:
    """Blocking entry point for a local run: poll until SIGINT/SIGTERM."""
    application = build_telegram_app(config)
    application.run_polling(
        poll_interval=0.0,
        timeout=int(config.poll_timeout_s),
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )


def telegram_webhook_route(application: Application, secret: str, path: str = "/telegram/webhook") -> Route:
    """Starlette route for Telegram's webhook POSTs: check the secret header, enqueue the update, answer 200."""
    if not secret:
        raise ValueError("the Telegram webhook needs a secret token")

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("rejected a Telegram webhook call with a wrong or missing secret token")
            return JSONResponse({"error": "forbidden"}, status_code=403)
        try:
            data = json.loads(await request.body())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("an update is a JSON object with an integer update_id")
            update = Update.de_json(data, application.bot)
        except (ValueError, KeyError, TypeError, AttributeError):
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        if update is None:
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, telegram_webhook, methods=["POST"])


@contextlib.asynccontextmanager
async def telegram_lifespan(application: Application) -> AsyncIterator[None]:
    """Webhook-mode lifespan for a parent Starlette app (mounted apps do not get their own lifespan)."""
    await start_telegram(application, webhook=True)
    try:
        yield
    finally:
        await stop_telegram(application)


def create_telegram_webhook_app(config: TelegramConfig, *, rasa: RasaClient | None = None) -> Starlette:
    """Stand-alone ASGI app serving only the Telegram webhook, registering it with Telegram at start-up."""
    application = build_telegram_app(config, rasa=rasa)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with telegram_lifespan(application):
            yield

    app = Starlette(routes=[telegram_webhook_route(application, config.webhook_secret, config.webhook_path)],
                    lifespan=lifespan)
    app.state.telegram_application = application
    return app
