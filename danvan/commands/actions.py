"""`danvan actions`: the Rasa action server (rasa-sdk), with the services built before it listens."""
from __future__ import annotations

import argparse
import logging
import time

from danvan.settings import Settings
from danvan.stack import LISTEN_BACKLOG

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("actions", help="run the Rasa action server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-warm-up", action="store_true", help="load models on first use instead of at start")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    import actions.runtime
    from danvan.services import AppServices

    started = time.monotonic()
    services = AppServices(settings)
    if not args.no_warm_up:
        services.warm_up()
    actions.runtime.configure(services)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    port = args.port or settings.action_port
    log.info("Action server ready to listen on %s:%d (services loaded in %.1f s)", settings.host, port,
             time.monotonic() - started)
    # One process: the services above live in this process, so Sanic must not fork workers.
    app.run(host=settings.host, port=port, single_process=True, access_log=False, motd=False, backlog=LISTEN_BACKLOG)
    return 0
