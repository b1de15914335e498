"""Save and load a Collection under one folder, atomically.

Layout of the index folder:
  manifest.json          format version, model name, corpus hash, documents, index kinds and ANN recall
  passages.json          passages with document id, section, text and sentences
  ids.json               id map: FAISS row -> passage id, sentence row -> passage row
  vectors.npy            passage embeddings (float32, L2-normalised); sentence_vectors.npy likewise
  faiss.index            FAISS index over passages; faiss-sentences.index over sentences
  lexical.json           BM25 statistics of both lexical views and the accent model
  sources/               copies of operator-supplied files, so a new parser version can re-read them

A new state is written to a sibling temporary folder and renamed into place, so a failure half-way (or a bad file)
never leaves a mixed index behind; readers see the old state or the new one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.accents import AccentModel
from knowledge.bm25 import BM25
from knowledge.collection import Collection
from knowledge.dense import DenseIndex
from knowledge.errors import IndexCorruptError
from knowledge.models import DocInfo, Passage
from nlp.files import file_lock, replace_folder

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # bump when parsing, passage text or index layout changes: old folders are rebuilt
MANIFEST = "manifest.json"
SOURCES = "sources"


@dataclass
class Manifest:
    format: int
    model: str
    dim: int
    corpus_hash: str
    documents: list[DocInfo]
    dense_kind: str = "flat"
    dense_recall_at_10: float | None = None
    sentence_dense_kind: str = "flat"
    sentence_dense_recall_at_10: float | None = None
    built_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "model": self.model,
            "dim": self.dim,
            "corpus_hash": self.corpus_hash,
            "documents": [d.to_dict() for d in self.documents],
            "dense": {"kind": self.dense_kind, "recall_at_10": self.dense_recall_at_10},
            "sentence_dense": {"kind": self.sentence_dense_kind, "recall_at_10": self.sentence_dense_recall_at_10},
            "built_at": self.built_at,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        dense = data.get("dense", {})
        sentence = data.get("sentence_dense", {})
        return cls(
            format=int(data["format"]),
            model=str(data["model"]),
            dim=int(data["dim"]),
            corpus_hash=str(data["corpus_hash"]),
            documents=[DocInfo.from_dict(d) for d in data["documents"]],
            dense_kind=dense.get("kind", "flat"),
            dense_recall_at_10=dense.get("recall_at_10"),
            sentence_dense_kind=sentence.get("kind", "flat"),
            sentence_dense_recall_at_10=sentence.get("recall_at_10"),
            built_at=data.get("built_at", ""),
            extra=data.get("extra", {}),
        )


def corpus_hash(docs: list[DocInfo]) -> str:
    """One hash over every document's id and content hash: equal hashes mean the same corpus."""
    digest = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.doc_id):
        digest.update(f"{doc.doc_id}\0{doc.content_hash}\n".encode())
    return digest.hexdigest()


def read_manifest(index_dir: Path) -> Manifest | None:
    path = index_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable manifest %s (%s); the index will be rebuilt", path, exc)
        return None


def load_collection(index_dir: Path, manifest: Manifest) -> Collection:
    """Read every file of a saved collection; raises IndexCorruptError when they do not fit together."""
    try:
        passages = [Passage.from_dict(p) for p in json.loads((index_dir / "passages.json").read_text("utf-8"))]
        ids = json.loads((index_dir / "ids.json").read_text("utf-8"))
        lexical = json.loads((index_dir / "lexical.json").read_text("utf-8"))
        vectors = np.load(index_dir / "vectors.npy")
        sentence_vectors = np.load(index_dir / "sentence_vectors.npy")
        dense = DenseIndex.load(index_dir / "faiss.index", manifest.dense_kind, manifest.dense_recall_at_10)
        dense_sentences = DenseIndex.load(
            index_dir / "faiss-sentences.index", manifest.sentence_dense_kind, manifest.sentence_dense_recall_at_10
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"index at {index_dir} is incomplete or unreadable: {exc}") from exc
    if ids["passages"] != [p.passage_id for p in passages] or dense.size != len(passages):
        raise IndexCorruptError(f"index at {index_dir}: FAISS rows do not match the passages")
    if len(vectors) != len(passages) or dense_sentences.size != len(ids["sentences"]):
        raise IndexCorruptError(f"index at {index_dir}: vectors do not match the passages")
    docs = {d.doc_id: d for d in manifest.documents}
    return Collection.restore(
        docs=docs,
        passages=passages,
        vectors=vectors,
        sentence_vectors=sentence_vectors,
        sentence_rows=np.array(ids["sentences"], dtype=np.int32),
        bm25_accented=BM25.from_dict(lexical["bm25_accented"]),
        bm25_folded=BM25.from_dict(lexical["bm25_folded"]),
        dense=dense,
        dense_sentences=dense_sentences,
        accents=AccentModel.from_dict(lexical["accents"]),
    )


def save_collection(
    index_dir: Path,
    collection: Collection,
    model: str,
    *,
    sources: dict[str, Path] | None = None,
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Write `collection` as the new content of `index_dir`, atomically; `sources` maps file names to copy in."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    docs = list(collection.docs.values())
    manifest = Manifest(
        format=FORMAT_VERSION,
        model=model,
        dim=int(collection.vectors.shape[1]) if collection.vectors.ndim == 2 else 0,
        corpus_hash=corpus_hash(docs),
        documents=docs,
        dense_kind=collection.dense.kind,
        dense_recall_at_10=collection.dense.recall_at_10,
        sentence_dense_kind=collection.dense_sentences.kind,
        sentence_dense_recall_at_10=collection.dense_sentences.recall_at_10,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        extra=extra or {},
    )
    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.", dir=index_dir.parent))
    try:
        tmp.chmod(0o755)
        _write_json(tmp / "passages.json", [p.to_dict() for p in collection.passages])
        _write_json(tmp / "ids.json", {"passages": [p.passage_id for p in collection.passages],
                                       "sentences": collection.sentence_rows.tolist()})
        _write_json(tmp / "lexical.json", {"bm25_accented": collection.bm25_accented.to_dict(),
                                          "bm25_folded": collection.bm25_folded.to_dict(),
                                          "accents": collection.accents.to_dict()})
        np.save(tmp / "vectors.npy", collection.vectors)
        np.save(tmp / "sentence_vectors.npy", collection.sentence_vectors)
        collection.dense.save(tmp / "faiss.index")
        collection.dense_sentences.save(tmp / "faiss-sentences.index")
        _carry_sources(index_dir, tmp, collection, sources or {})
        _write_json(tmp / MANIFEST, manifest.to_dict())  # last: a folder without a manifest is never loaded
        replace_folder(tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _carry_sources(index_dir: Path, tmp: Path, collection: Collection, sources: dict[str, Path]) -> None:
    """Keep the stored copy of every operator document still in the collection, plus the new ones."""
    target = tmp / SOURCES
    target.mkdir()
    wanted = {d.source_name for d in collection.docs.values() if not d.shipped and d.source_name}
    old = index_dir / SOURCES
    if old.is_dir():
        for path in old.iterdir():
            if path.name in wanted and path.name not in sources:
                shutil.copyfile(path, target / path.name)
    for name, path in sources.items():
        if name in wanted:
            shutil.copyfile(path, target / name)


def _write_json(path: Path, data: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Serialise writers (e.g. `danvan index` while the web app uploads a document) across processes."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = index_dir.with_name(f".{index_dir.name}.lock")
    with file_lock(lock_path):
        yield
