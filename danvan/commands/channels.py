"""`danvan telegram` and `danvan zalo`: the channel bridges, each in its own process."""
from __future__ import annotations

import argparse
import logging

from danvan.errors import CommandError
from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    tg = subparsers.add_parser("telegram", help="run the Telegram bridge (polling, or webhook when configured)")
    tg.add_argument("--port", type=int, default=None, help="port of the webhook server (webhook mode only)")
    tg.set_defaults(handler=run_telegram)
    zalo = subparsers.add_parser("zalo", help="run the Zalo Official Account webhook bridge")
    zalo.add_argument("--port", type=int, default=None)
    zalo.set_defaults(handler=run_zalo)


def _quiet_http_logs() -> None:
    # httpx logs request URLs at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)


def run_telegram(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.channels import telegram_config

    if not settings.telegram_enabled:
        raise CommandError("TELEGRAM_BOT_TOKEN is not set")
    _quiet_http_logs()
    config = telegram_config(settings)
    if config.webhook_url:
        import uvicorn

        from bot.telegram_bridge import create_telegram_webhook_app

        uvicorn.run(create_telegram_webhook_app(config), host=settings.host,
                    port=args.port or settings.web_port + 2, log_level="warning")
    else:
        from bot.telegram_bridge import run_telegram_polling

        run_telegram_polling(config)
    return 0


def run_zalo(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from bot.zalo_bridge import create_zalo_app
    from danvan.channels import zalo_config

    if not settings.zalo_enabled:
        raise CommandError("ZALO_APP_ID and ZALO_OA_SECRET must be set")
    _quiet_http_logs()
    uvicorn.run(create_zalo_app(zalo_config(settings)), host=settings.host, port=args.port or settings.zalo_port,
                log_level="warning")
    return 0
