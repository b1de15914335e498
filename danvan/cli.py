"""The `danvan` command line: one entry point, one module per subcommand under danvan/commands/.

Each command module exposes `register(subparsers)`, which adds its parser and sets `handler=<function(args,
settings) -> int>`. Settings are read here, once, and passed down.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from danvan.errors import CommandError
from danvan.settings import load_settings

COMMAND_MODULES = (
    "danvan.commands.setup",
    "danvan.commands.train",
    "danvan.commands.serve",
    "danvan.commands.web",
    "danvan.commands.actions",
    "danvan.commands.channels",
    "danvan.commands.ask",
    "danvan.commands.index",
    "danvan.commands.route",
    "danvan.commands.eval",
    "danvan.commands.tune",
    "danvan.commands.user",
    "danvan.commands.tracker",
    "danvan.commands.partner",
)

log = logging.getLogger("danvan")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="danvan", description="Dân vận assistant for Tây Ninh province.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not built yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    settings = load_settings()
    try:
        return int(args.handler(args, settings) or 0)
    except CommandError as exc:
        print(f"danvan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

