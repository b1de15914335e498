"""`danvan eval`: score the assistant on evaluation sets.

  danvan eval qa FILE [--corpus DIR] [--json]   questions in the dev_qa.jsonl format (knowledge/)
  danvan eval routing FILE [--json]             petitions in the dev_routing.jsonl format (petitions/)
  danvan eval routing --corrections FILE        the console's routing corrections: the current router on them
  danvan eval dialogues [FILE ...]              scripted conversations against a private stack on free ports
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="score Q&A or routing on an evaluation file")
    kinds = parser.add_subparsers(dest="eval_kind", required=True)

    qa = kinds.add_parser("qa", help="hit@3 and abstention accuracy: fused, BM25 alone, dense alone")
    qa.add_argument("file", type=Path, help="JSONL questions (format of ../shared/eval/dev_qa.jsonl)")
    qa.add_argument("--corpus", type=Path, default=None,
                    help="documents to ingest into a temporary copy of the index (default: ../shared/corpus)")
    qa.add_argument("--json", action="store_true", help="print the figures as JSON")
    qa.add_argument("--no-cv", action="store_true",
                    help="skip the cross-validated figures (questions of the file that `danvan tune` learns from)")
    qa.set_defaults(handler=run_qa)

    register_routing(kinds)

    dialogues = kinds.add_parser("dialogues", help="scripted conversations (../shared/eval/dialogues.py format) "
                                 "against a private Rasa + action server stack on free ports")
    dialogues.add_argument(
        "files", type=Path, nargs="*",
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

    from danvan.errors import CommandError
    from knowledge import KnowledgeBase
    from knowledge.errors import KnowledgeError
    from knowledge.evaluation import evaluate, format_report, load_questions
    from knowledge.tune import FOLDS
    from nlp.embedding import EncoderLoadError

    corpus, files = corpus_files(args.corpus, settings)
    try:
        items = load_questions(args.file)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from exc
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
        cv = None if args.no_cv else cross_validated(kb, encoder, items, settings)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        data = report.to_dict()
        if cv is not None:
            for system, figures in cv[1].to_dict().items():
                data[system]["cross_validated"] = {"questions": cv[0], **figures}  # type: ignore[index]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{args.file}: {len(items)} questions; corpus {corpus} ({len(files)} files)\n")
    print("Fit: the shipped numbers and abstention fit (chosen on these questions when `danvan tune` uses them)\n")
    print(format_report(report), end="")
    if cv is None and not args.no_cv:
        print("\nNone of these questions is one `danvan tune` learns from: the figures above are already held out.")
    elif cv is not None:
        print(f"\nCross-validated ({FOLDS} folds over the committed questions; each of the {cv[0]} questions of this "
              "file that `danvan tune` learns from is answered by numbers and an abstention fit chosen without its "
              "fold)\n")
        print(format_report(cv[1]), end="")
    return 0


def cross_validated(kb: Any, encoder: Any, items: list[dict], settings: Settings) -> tuple[int, Any] | None:
    """The file's questions that are in `danvan tune`'s pool, each answered under its fold's fit; None when the
    file shares no question with the pool."""
    from knowledge import KnowledgeBase
    from knowledge.evaluation import eval_normalize
    from knowledge.retrieval import Retriever
    from knowledge.tune import Prepared, cross_validated_report, load_pool, question_files

    pool, _ = load_pool(question_files(settings.project_root))
    wanted_keys = {eval_normalize(i["question"]) for i in items}
    in_pool = [n for n, i in enumerate(pool) if eval_normalize(i["question"]) in wanted_keys]
    if not in_pool:
        return None
    prepared = Prepared.gather(Retriever(kb.collection, encoder, tuning=kb.tuning.retrieval), pool)
    chosen = set(in_pool)

    def factory(tuning: Any, abstention: Any) -> Any:
        return KnowledgeBase(kb.index_dir, encoder, kb.collection, ann_threshold=kb.ann_threshold,
                             abstention=abstention, tuning=tuning)

    return len(in_pool), cross_validated_report(prepared, kb.tuning, factory, lambda n: n in chosen)


def corpus_files(corpus: Path | None, settings: Settings) -> tuple[Path, list[Path]]:
    """The corpus folder (default ../shared/corpus) and its documents."""
    from danvan.commands.index import expand_paths
    from danvan.errors import CommandError

    corpus = corpus or settings.project_root.parent / "shared" / "corpus"
    if not corpus.is_dir():
        raise CommandError(f"corpus folder {corpus} not found; pass --corpus DIR")
    return corpus, expand_paths([corpus])


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
    routing = kinds.add_parser(
        "routing", help="agency accuracy and confusion table of the petition router, on a labelled file or on the "
        "console's routing corrections")
    routing.add_argument("file", type=Path, nargs="?",
                         help="JSONL petitions (format of ../shared/eval/dev_routing.jsonl)")
    routing.add_argument("--corrections", type=Path, metavar="FILE", default=None,
                         help="the console's export /console/routing-corrections.jsonl: how the current router does "
                         "on the petitions operators reassigned, against where they went when filed")
    routing.add_argument("--json", action="store_true", help="print the figures as JSON")
    routing.set_defaults(handler=run_routing)


def run_routing(args: argparse.Namespace, settings: Settings) -> int:
    from danvan.errors import CommandError
    from nlp.embedding import EncoderLoadError
    from petitions.evaluation import LabelledFileError, run_routing_eval
    from petitions.routing_table import RoutingTableError

    if (args.file is None) == (args.corrections is None):
        raise CommandError("give either a labelled FILE or --corrections FILE "
                           "(e.g. danvan eval routing --corrections routing-corrections.jsonl)")
    try:
        return int(run_routing_eval(args, settings))
    except (LabelledFileError, EncoderLoadError, RoutingTableError) as exc:
        raise CommandError(str(exc)) from exc
