"""`danvan tune`: re-derive the tuned numbers of retrieval and refit abstention from committed questions.

  danvan tune [--corpus DIR] [--out-dir DIR]

Writes knowledge/data/tuning.yml and knowledge/data/abstention.json (or both into --out-dir, to compare with the
committed ones) and prints the fit and the cross-validated figures. Details: knowledge/tune.py.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from danvan.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tune", help="re-derive retrieval's tuned numbers and refit abstention "
                                   "(cross-validated, committed questions only)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="documents the questions are about, besides the shipped ones (default: ../shared/corpus)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="write tuning.yml and abstention.json here instead of knowledge/data/")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import json
    import shutil
    import tempfile

    from danvan.commands.eval import corpus_files
    from danvan.errors import CommandError
    from danvan.services import AppServices
    from knowledge import KnowledgeBase
    from knowledge.errors import KnowledgeError
    from knowledge.tune import DATA_DIR, build_collection, summary, tune
    from knowledge.tuning import DEFAULT_PATH, Tuning
    from nlp.embedding import EncoderLoadError

    corpus, files = corpus_files(args.corpus, settings)
    out_dir = args.out_dir or DATA_DIR
    tmp = Path(tempfile.mkdtemp(prefix="danvan-tune-"))
    try:
        base = Tuning.load(DEFAULT_PATH)  # the policy numbers (abstention, router) are kept from it
        index_dir = tmp / "index"
        if (settings.index_dir / "manifest.json").is_file():  # the live index saves re-embedding; never modified
            shutil.copytree(settings.index_dir, index_dir)
        encoder = AppServices(settings).encoder
        collection = build_collection(index_dir, encoder, settings.ann_threshold, files, base.digest)

        def kb_factory(tuning: Tuning, abstention: object) -> KnowledgeBase:
            return KnowledgeBase(index_dir, encoder, collection, ann_threshold=settings.ann_threshold,
                                 abstention=abstention, tuning=tuning)  # type: ignore[arg-type]

        result = tune(collection, encoder, settings.project_root, base, kb_factory)
    except (EncoderLoadError, KnowledgeError, OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tuning.yml").write_text(result.tuning_text, encoding="utf-8")
    (out_dir / "abstention.json").write_text(result.abstention_text, encoding="utf-8")
    figures = summary(result.cv_report)
    print(f"corpus {corpus} ({len(files)} files)")
    print(f"retrieval hit@3 (answerable questions, evidence in the top 3): start {result.start_hit3:.3f}, "
          f"fit {result.fit_hit3:.3f}, cross-validated {result.cv_hit3:.3f}")
    print("cross-validated answers (fused): " + json.dumps({k: None if v is None else round(v, 3)
                                                           for k, v in figures.items()}))
    print(f"wrote {out_dir / 'tuning.yml'} and {out_dir / 'abstention.json'}")
    return 0
