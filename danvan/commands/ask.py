"""`danvan ask`: answer a question (or a JSONL file of questions) from the knowledge index, with citations."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="answer a question from the documents, with citations")
    parser.add_argument("question", nargs="?", help="the question, in Vietnamese (with or without diacritics)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--jsonl", type=Path, metavar="FILE",
                        help='answer every {"question": ...} line of FILE ("-" for stdin), one JSON line each')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.errors import CommandError

    if (args.question is None) == (args.jsonl is None):
        raise CommandError('give either a question or --jsonl FILE (e.g. danvan ask "dân vận khéo là gì?" --json)')
    if args.question is not None and not args.question.strip():
        raise CommandError("the question is empty")
    questions = _read_jsonl(args.jsonl) if args.jsonl is not None else None
    kb = _open_knowledge(settings)
    if questions is not None:
        out = sys.stdout
        for question in questions:
            out.write(json.dumps(kb.ask(question).to_dict(), ensure_ascii=False) + "\n")
        out.flush()
        return 0
    answer = kb.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        _print_human(answer)
    return 0


def _open_knowledge(settings: Settings) -> Any:
    """The knowledge base of `settings`, with load failures turned into one-line errors."""
    from danvan.errors import CommandError
    from danvan.services import AppServices
    from knowledge.errors import KnowledgeError
    from nlp.embedding import EncoderLoadError

    try:
        return AppServices(settings).knowledge
    except (EncoderLoadError, KnowledgeError) as exc:
        raise CommandError(str(exc)) from exc


def _read_jsonl(path: Path) -> list[str]:
    from danvan.jsonl import read_field

    return read_field(path, "question")


def _print_human(answer: Any) -> None:
    print(answer.answer)
    if answer.sources:
        print("\nNguồn:" if answer.answered else "\nĐoạn gần nhất (không đủ để trả lời):")
        for n, source in enumerate(answer.sources[:3], start=1):
            print(f"  {n}. {source.title} — {source.section} (điểm số {source.score:.3f})")
