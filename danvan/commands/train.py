"""`danvan train`: train the Rasa model if (and only if) its inputs changed."""
from __future__ import annotations

import argparse
import time

from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train the Rasa model when data/, config.yml or domain.yml changed")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.errors import CommandError
    from danvan.rasa_model import TrainingError, ensure_trained

    if not settings.rasa_python.exists():
        raise CommandError(f"Rasa environment not found at {settings.rasa_python}; run `make setup` first")
    started = time.monotonic()
    try:
        model = ensure_trained(settings.project_root, settings.rasa_models_dir, settings.rasa_python)
    except TrainingError as exc:
        raise CommandError(str(exc)) from exc
    print(f"Rasa model: {model} ({time.monotonic() - started:.1f} s)")
    return 0
