"""`danvan web`: the web app (chat page and operators' console) on 127.0.0.1."""
from __future__ import annotations

import argparse
import os
import secrets
import tempfile
from typing import TYPE_CHECKING

from danvan.settings import Settings

if TYPE_CHECKING:  # imported where used: the console is loaded only when the web app starts
    from console.config import WebConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("web", help="run the web app (chat page, console)")
    parser.add_argument("--port", type=int, default=None)
    parser.set_defaults(handler=run)


def web_config(settings: Settings) -> WebConfig:
    from console.config import WebConfig
    from danvan.channels import build_deliverer
    from danvan.services import AppServices
    from petitions.chat_log import chat_log_config
    from petitions.outbox import OutboxPolicy

    services = AppServices(settings)  # lazy: the knowledge base loads on first use of the Documents page

    secret = settings.session_secret.get_secret_value() or _persistent_secret(settings)
    return WebConfig(
        rasa_url=settings.rasa_url,
        rasa_token=settings.rasa_token.get_secret_value(),
        session_secret=secret,
        database_url=settings.petitions_url,
        tracker_url=settings.tracker_url,
        var_dir=settings.var_dir,
        agencies_file=settings.routing_table,
        communes_file=settings.communes_file,
        cookie_secure=settings.cookie_secure,
        trusted_proxies=settings.trusted_proxy_list,
        chat_turns_per_minute=settings.chat_turns_per_minute,
        chat_turns_per_minute_per_address=settings.chat_turns_per_minute_per_address,
        deliverer=build_deliverer(settings),
        delivery_retry_s=settings.outbox_poll_s,
        knowledge_factory=lambda: services.knowledge,
        extra={
            "outbox_policy": OutboxPolicy(
                backoff_base_s=settings.outbox_backoff_base_s, backoff_max_s=settings.outbox_backoff_max_s,
                max_attempts=settings.outbox_max_attempts, lease_s=settings.outbox_lease_s, batch=settings.outbox_batch,
            ),
            "notices_file": settings.notices_file,
            "webchat": chat_log_config(settings),
        },
    )


def _persistent_secret(settings: Settings) -> str:
    """A random session key kept under var/, so sessions survive restarts without a committed default secret."""
    path = settings.var_dir / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # mkstemp creates the file owner-only (0600) from the start; os.link then publishes it whole, and only if no
        # other web process published one first: never readable by others, never seen empty or half written.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".session.key-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip()


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from console.app import create_console_app

    app = create_console_app(web_config(settings))
    # uvicorn's own proxy-header handling is off: it would believe X-Forwarded-For from 127.0.0.1 whoever wrote it.
    # The app reads it only from DANVAN_TRUSTED_PROXIES (console/app.py ClientAddress).
    uvicorn.run(app, host=settings.host, port=args.port or settings.web_port, log_level="warning",
                proxy_headers=False, forwarded_allow_ips="",
                timeout_graceful_shutdown=5)  # open chat streams (server-sent events) never hold up a stop
    return 0
