"""`danvan eval`: score the assistant on evaluation sets.

  danvan eval qa FILE [--corpus DIR] [--json]   questions in the dev_qa.jsonl format (knowledge/)
  danvan eval routing FILE ...                  petitions in the dev_routing.jsonl format (petitions/)
  danvan eval dialogues [FILE ...]              scripted conversations against a private stack on free ports
"""
from __future__ import annotations

import argparse
from pathlib import Path

from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="score Q&A or routing on an evaluation file")
    kinds = parser.add_subparsers(dest="eval_kind", required=True)

    qa = kinds.add_parser("qa", help="hit@3 and abstention accuracy: fused, BM25 alone, dense alone")
    qa.add_argument("file", type=Path, help="JSONL questions (format of ../shared/eval/dev_qa.jsonl)")
    qa.add_argument("--corpus", type=Path, default=None,
                    help="documents to ingest into a temporary copy of the index (default: ../shared/corpus)")
    qa.add_argument("--json", action="store_true", help="print the figures as JSON")
    qa.set_defaults(handler=run_qa)

    register_routing(kinds)

    dialogues = kinds.add_parser("dialogues", help="scripted conversations (../shared/eval/dialogues.py format) "
                                 "against a private Rasa + action server stack on free ports")
    dialogues.add_argument("files", type=Path, nargs="*",
                           help="JSONL scripts (default: ../shared/eval/dev_dialogues.jsonl and tests/dialogues/*.jsonl)")
    dialogues.add_argument("--only", default="", help="comma-separated conversation ids or categories")
    dialogues.add_argument("--transcript", type=Path, default=None, help="write every turn and reply as JSONL here")
    dialogues.add_argument("--min-pass", type=float, default=None, help="pass rate needed for exit status 0")
    dialogues.add_argument("--keep", action="store_true", help="keep the private stack's folder (logs, databases)")
    dialogues.set_defaults(handler=run_dialogues_command)


# ------------------------------------------------------------------------------------------------------------ Q&A
def run_qa(args: argparse.Namespace, settings: Settings) -> int:
    import json
    import shutil
    import tempfile

    from danvan.commands.index import expand_paths
    from danvan.errors import CommandError
    from knowledge import KnowledgeBase
    from knowledge.errors import KnowledgeError
    from knowledge.evaluation import evaluate, format_report, load_questions
    from nlp.embedding import EncoderLoadError

    corpus = args.corpus or settings.project_root.parent / "shared" / "corpus"
    if not corpus.is_dir():
        raise CommandError(f"corpus folder {corpus} not found; pass --corpus DIR")
    try:
        items = load_questions(args.file)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
    files = expand_paths([corpus])
    tmp = Path(tempfile.mkdtemp(prefix="danvan-eval-"))
    try:
        index_dir = tmp / "index"
        if (settings.index_dir / "manifest.json").is_file():  # start from the live index, never modify it
            shutil.copytree(settings.index_dir, index_dir)
        try:
            from danvan.services import AppServices

            encoder = AppServices(settings).encoder
            kb = KnowledgeBase.open(index_dir, encoder, ann_threshold=settings.ann_threshold)
            kb.add_files(files)
        except (EncoderLoadError, KnowledgeError) as exc:
            raise CommandError(str(exc)) from exc
        report = evaluate(kb, items)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{args.file}: {len(items)} questions; corpus {corpus} ({len(files)} files)\n")
        print(format_report(report), end="")
    return 0


# ------------------------------------------------------------------------------------------------------ dialogues
def run_dialogues_command(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.dialogue_eval import run_dialogues

    files = list(args.files) or [
        settings.project_root.parent / "shared" / "eval" / "dev_dialogues.jsonl",
        *sorted((settings.project_root / "tests" / "dialogues").glob("*.jsonl")),
    ]
    return run_dialogues(files, settings, only=args.only, transcript=args.transcript, min_pass=args.min_pass,
                         keep=args.keep)


# -------------------------------------------------------------------------------------------------------- routing
# Hook for petitions/: `petitions.evaluation.run_routing_eval(args, settings) -> int` does the work; add options it
# needs here.
def register_routing(kinds: argparse._SubParsersAction) -> None:
    routing = kinds.add_parser("routing", help="agency accuracy and confusion table of the petition router")
    routing.add_argument("file", type=Path, help="JSONL petitions (format of ../shared/eval/dev_routing.jsonl)")
    routing.add_argument("--json", action="store_true", help="print the figures as JSON")
    routing.set_defaults(handler=run_routing)


def run_routing(args: argparse.Namespace, settings: Settings) -> int:
    from petitions.evaluation import run_routing_eval

    return int(run_routing_eval(args, settings))
