"""`danvan actions`: the Rasa action server (rasa-sdk), with the services built before it listens.

Only the Rasa server may call it: every request but /health must carry the shared secret (header
`X-Danvan-Action-Secret`, sent by Rasa from endpoints.yml); anything else is refused with 403 before rasa-sdk reads
the tracker. Behind a balancer in the several-server layout, reaching the port is therefore not enough to file a
petition.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import time
from typing import Any

from danvan.settings import Settings
from danvan.stack import LISTEN_BACKLOG

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Danvan-Action-Secret"
OPEN_PATHS = frozenset({"/health"})


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("actions", help="run the Rasa action server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-warm-up", action="store_true", help="load models on first use instead of at start")
    parser.set_defaults(handler=run)


def require_secret(app: Any, secret: str) -> None:
    """Refuse (403) every request to the Sanic `app` except /health that lacks the shared secret header."""
    from sanic.response import json as json_response

    if not secret:
        raise ValueError("the action server needs a shared secret")
    expected = secret.encode()

    async def check_secret(request: Any) -> Any:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(SECRET_HEADER, "")
        if hmac.compare_digest(given.encode(), expected):
            return None
        log.warning("refused an action server call to %s: missing or wrong %s", request.path, SECRET_HEADER)
        return json_response({"error": "forbidden"}, status=403)

    app.register_middleware(check_secret, "request")


def build_action_app(secret: str) -> Any:
    """The rasa-sdk Sanic app with every action of the `actions` package, guarded by the shared secret."""
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    require_secret(app, secret)
    return app


def run(args: argparse.Namespace, settings: Settings) -> int:
    import actions.petition_submit
    import actions.runtime
    from danvan.errors import CommandError
    from danvan.services import AppServices
    from knowledge.errors import KnowledgeError

    secret = settings.action_server_secret
    if not secret:
        raise CommandError("the action server needs DANVAN_ACTION_SECRET (or DANVAN_RASA_TOKEN, from which it is "
                           "derived): Rasa must send it, anyone else is refused")
    started = time.monotonic()
    services = AppServices(settings)
    if not args.no_warm_up:
        try:
            services.warm_up()
        except KnowledgeError as exc:  # e.g. a tuning file edited by hand: one clear line, no traceback
            raise CommandError(str(exc)) from exc
    actions.runtime.configure(services)
    actions.petition_submit.set_filing_limit(settings.petitions_per_hour)
    app = build_action_app(secret)
    port = args.port or settings.action_port
    log.info("Action server ready to listen on %s:%d (services loaded in %.1f s)", settings.host, port,
             time.monotonic() - started)
    # One process: the services above live in this process, so Sanic must not fork workers.
    app.run(host=settings.host, port=port, single_process=True, access_log=False, motd=False, backlog=LISTEN_BACKLOG)
    return 0
