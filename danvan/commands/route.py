"""`danvan route`: which agency handles a petition (or each line of a JSONL file), with topic and confidence.

  danvan route "nội dung phản ánh" --json   one JSON object {"agency", "agency_name", "confidence", "topic"}
  danvan route --jsonl FILE                 one JSON line per {"text": ...} line of FILE ("-" reads stdin)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from danvan.settings import Settings

_BATCH = 64


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("route", help="route a petition to the agency that handles it")
    parser.add_argument("text", nargs="?", help="the petition, in Vietnamese (with or without diacritics)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--jsonl", type=Path, metavar="FILE",
                        help='route every {"text": ...} line of FILE ("-" for stdin), one JSON line each')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.errors import CommandError

    if (args.text is None) == (args.jsonl is None):
        raise CommandError('give either a text or --jsonl FILE (e.g. danvan route "đường ấp 3 bị hư" --json)')
    if args.text is not None and not args.text.strip():
        raise CommandError("the text is empty")
    texts = _read_jsonl(args.jsonl) if args.jsonl is not None else None
    router = _router(settings)
    if texts is not None:
        out = sys.stdout
        for start in range(0, len(texts), _BATCH):
            for route in router.route_many(texts[start : start + _BATCH]):
                out.write(json.dumps(route.to_dict(), ensure_ascii=False) + "\n")
        out.flush()
        return 0
    route = router.route(args.text)
    if args.json:
        print(json.dumps(route.to_dict(), ensure_ascii=False))
    else:
        print(f"{route.agency_name} ({route.agency}), độ tin cậy {route.confidence:.2f}\nchủ đề: {route.topic}")
    return 0


def _router(settings: Settings) -> Any:
    from danvan.errors import CommandError
    from danvan.services import AppServices
    from nlp.embedding import EncoderLoadError
    from petitions.routing_table import RoutingTableError

    try:
        return AppServices(settings).router
    except (EncoderLoadError, RoutingTableError, OSError) as exc:
        raise CommandError(str(exc)) from exc


def _read_jsonl(path: Path) -> list[str]:
    from danvan.jsonl import read_field

    return read_field(path, "text")
