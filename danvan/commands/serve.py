"""`danvan serve`: the whole assistant on 127.0.0.1 — action server, Rasa server, web app, optional bridges.

Trains the Rasa model first when its inputs changed, starts every process with readiness checks, prefixes their
output into one log stream, and stops them all on Ctrl-C (each child runs in its own process group, so none is left).
"""
from __future__ import annotations

import argparse
import logging
import secrets
import sys
import time

from pydantic import SecretStr

from danvan.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the assistant locally (Rasa, actions, web app, bridges)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.errors import CommandError
    from danvan.procs import ProcessError, Supervisor, port_is_free
    from danvan.rasa_model import TrainingError, ensure_trained
    from danvan.stack import action_spec, bridge_specs, rasa_spec, web_spec

    if not settings.rasa_token.get_secret_value():
        # Rasa's HTTP API is enabled for the console; it must never run without a token.
        settings = settings.model_copy(update={"rasa_token": SecretStr(secrets.token_urlsafe(24))})
    for name, port in (("web", settings.web_port), ("rasa", settings.rasa_port), ("actions", settings.action_port)):
        if not port_is_free(settings.host, port):
            raise CommandError(f"port {port} on {settings.host} ({name}) is already in use; stop the program using "
                               f"it or set DANVAN_{name.upper()}_PORT")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(output=sys.stdout)
    # Ctrl-C and SIGTERM stop training too, even when SIGINT was inherited as ignored (a background job, nohup).
    supervisor.handle_stop_signals()
    started = time.monotonic()
    try:
        model = ensure_trained(settings.project_root, settings.rasa_models_dir, settings.rasa_python)
    except TrainingError as exc:
        supervisor.stop_all()
        raise CommandError(str(exc)) from exc
    except KeyboardInterrupt:
        supervisor.stop_all()
        print("\nStopping…", flush=True)
        return 0

    specs = [action_spec(settings), rasa_spec(settings, model), web_spec(settings), *bridge_specs(settings)]
    try:
        for spec in specs:
            supervisor.start(spec)
        for spec in specs:
            waited = supervisor.wait_ready(spec)
            log.info("%s ready after %.1f s", spec.name, waited)
        print(
            f"\nDân vận assistant is running ({time.monotonic() - started:.0f} s to start):\n"
            f"  web chat and console: http://{settings.host}:{settings.web_port}/\n"
            f"  Rasa REST channel:    http://{settings.host}:{settings.rasa_port}/webhooks/rest/webhook\n"
            f"  action server:        http://{settings.host}:{settings.action_port}/health\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            exited = supervisor.first_exited()
            if exited:
                log.error("%s stopped unexpectedly; shutting down the others", exited)
                return 1
            time.sleep(0.5)
    except ProcessError as exc:
        raise CommandError(str(exc)) from exc
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        supervisor.stop_all()
