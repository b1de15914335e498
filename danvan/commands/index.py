"""`danvan index`: build the knowledge index from the shipped documents, and add operators' files to it."""
from __future__ import annotations

import argparse
from pathlib import Path

from danvan.settings import Settings

SUPPORTED = (".txt", ".md", ".docx", ".pdf")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("index", help="build (or extend) the knowledge index")
    parser.add_argument("--add", nargs="+", type=Path, default=[], metavar="PATH",
                        help="documents (.txt, .md, .docx, .pdf) or folders of them to add or update")
    parser.add_argument("--remove", nargs="+", default=[], metavar="DOC_ID", help="operator documents to remove")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from danvan.commands.ask import _open_knowledge
    from danvan.errors import CommandError
    from knowledge.errors import IngestError, KnowledgeError

    files = expand_paths(args.add)
    started = time.monotonic()
    kb = _open_knowledge(settings)
    try:
        reports = kb.add_files(files) if files else []
        for doc_id in args.remove:
            kb.remove(doc_id)
            print(f"removed   {doc_id}")
    except IngestError as exc:
        raise CommandError(f"{exc}; the index was left unchanged") from exc
    except KnowledgeError as exc:
        raise CommandError(str(exc)) from exc
    for report in reports:
        print(f"{report.status:9} {report.doc_id} ({report.passages} passages) {report.title}")
    manifest = kb.manifest()
    docs = kb.documents()
    passages = sum(d.passages for d in docs)
    print(f"index: {settings.index_dir} — {len(docs)} documents, {passages} passages, model {manifest.model}, "
          f"{time.monotonic() - started:.1f} s")
    if manifest.dense_kind != "flat":
        print(f"approximate search ({manifest.dense_kind}): recall@10 vs exact = {manifest.dense_recall_at_10:.3f}")
    return 0


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders replaced by their supported files (sorted, README excluded); missing paths are a
    user error."""
    from danvan.errors import CommandError

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # a folder's README describes the folder; it is not one of its documents
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED
                           and not p.name.lower().startswith("readme"))
            if not found:
                raise CommandError(f"{path} holds no {', '.join(SUPPORTED)} files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return files
