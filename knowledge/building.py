"""Build or update a Collection: parse shipped and operator documents, embed only what changed, save.

`sync` is what `KnowledgeBase.open` runs: it brings a saved index up to date with the shipped documents and the
encoder (another model or index format means re-embedding; a changed shipped document means re-embedding that one).
`assemble` produces the collection after adding, replacing or dropping documents.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from knowledge.collection import Collection, index_texts, sentence_texts
from knowledge.errors import IndexCorruptError, IngestError
from knowledge.ingest import PreparedDocument, prepare
from knowledge.models import DocInfo, Passage
from knowledge.readers import SUPPORTED_SUFFIXES
from knowledge.revisions import carried_history
from knowledge.store import FORMAT_VERSION, SOURCES, Manifest, load_collection, read_manifest, save_collection
from nlp.protocols import TextEncoder

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent / "documents"
TUNING_KEY = "tuning"  # manifest.extra key: SHA-256 of knowledge/data/tuning.yml


def shipped_files(documents_dir: Path) -> list[Path]:
    return sorted(p for p in documents_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def stamp(tuning_digest: str) -> dict[str, str]:
    """The manifest's record of the tuning file (knowledge/data/tuning.yml) the index was saved under."""
    return {TUNING_KEY: tuning_digest}


def sync(
    index_dir: Path, encoder: TextEncoder, ann_threshold: int, documents_dir: Path, tuning_digest: str = ""
) -> Collection:
    """Return the saved collection brought up to date with the shipped documents, the encoder and the tuning.

    Nothing stored in the index depends on the tuned numbers, so an index saved under another tuning file is
    re-stamped, re-assembling its lexical statistics from the stored vectors (no re-embedding)."""
    model = model_name(encoder)
    shipped = [prepare(p, shipped=True) for p in shipped_files(documents_dir)]
    manifest = read_manifest(index_dir)
    base: Collection | None = None
    operator_docs: list[PreparedDocument] = []
    if manifest is not None and manifest.format == FORMAT_VERSION and manifest.model == model:
        try:
            base = load_collection(index_dir, manifest)
        except IndexCorruptError as exc:
            log.warning("%s; rebuilding", exc)
    loaded = base is not None
    if base is None:
        if manifest is not None:
            log.info("knowledge index is stale (format %s, model %s); rebuilding", manifest.format, manifest.model)
            operator_docs = _reread_sources(index_dir, manifest)
        base = Collection.empty(encoder_dim(encoder), ann_threshold)
    wanted = {d.doc_id for d in shipped}
    changed = [d for d in shipped if d.doc_id not in base.docs or base.docs[d.doc_id].content_hash != d.content_hash]
    dropped = {d.doc_id for d in base.docs.values() if d.shipped and d.doc_id not in wanted}
    restamp = loaded and manifest is not None and manifest.extra.get(TUNING_KEY) != tuning_digest
    if loaded and not changed and not dropped and not restamp:
        return base
    if restamp and not changed and not dropped:
        log.info("knowledge index saved under another tuning file; re-stamping it")
    collection = assemble(base, [*changed, *operator_docs], dropped, encoder, ann_threshold)
    save_collection(index_dir, collection, model, sources={d.source_name: d.path for d in operator_docs},
                    extra=stamp(tuning_digest))
    log.info("knowledge index saved: %d documents, %d passages", len(collection.docs), len(collection))
    return collection


def _reread_sources(index_dir: Path, manifest: Manifest) -> list[PreparedDocument]:
    """Operator documents of a stale index, parsed again from their stored copies (skipped if unreadable)."""
    out: list[PreparedDocument] = []
    for doc in manifest.documents:
        if doc.shipped:
            continue
        path = index_dir / SOURCES / doc.source_name
        try:
            prepared = prepare(path, doc_id=doc.doc_id)
        except IngestError as exc:
            log.warning("dropping %s from the rebuilt index: %s", doc.doc_id, exc)
            continue
        prepared.parsed.info = carried_history(doc, prepared.parsed.info)  # an admin's corrections, its versions
        out.append(prepared)
    return out


def assemble(
    base: Collection, new_docs: list[PreparedDocument], dropped: set[str], encoder: TextEncoder, ann_threshold: int
) -> Collection:
    """A collection with `new_docs` added or replaced and `dropped` removed; only `new_docs` are embedded."""
    replaced = {d.doc_id: d for d in new_docs}
    order = [doc_id for doc_id in base.docs if doc_id not in dropped]
    order += [d.doc_id for d in new_docs if d.doc_id not in base.docs]
    shipped_first = sorted(order, key=lambda i: (not _is_shipped(i, base, replaced), order.index(i)))
    docs: dict[str, DocInfo] = {}
    passages = []
    vectors: list[np.ndarray] = []
    sentence_vectors: list[np.ndarray] = []
    for doc_id in shipped_first:
        if doc_id in replaced:
            parsed = replaced[doc_id].parsed
            docs[doc_id] = parsed.info
            pv, sv = _embed(encoder, parsed.info, parsed.passages)
            passages.extend(parsed.passages)
        else:
            docs[doc_id] = base.docs[doc_id]
            rows = base.doc_rows(doc_id)
            passages.extend(base.passages[i] for i in rows)
            pv, sv = base.doc_vectors(doc_id)
        vectors.append(pv)
        sentence_vectors.append(sv)
    dim = encoder_dim(encoder)
    pv_all = np.concatenate(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    sv_all = np.concatenate(sentence_vectors).astype(np.float32) if sentence_vectors else np.zeros((0, dim), np.float32)
    return Collection.build(docs, passages, pv_all, sv_all, ann_threshold)


def _is_shipped(doc_id: str, base: Collection, replaced: dict[str, PreparedDocument]) -> bool:
    if doc_id in replaced:
        return replaced[doc_id].parsed.info.shipped
    return base.docs[doc_id].shipped


def _embed(encoder: TextEncoder, info: DocInfo, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """Passage and sentence vectors of one document (index text = short document name + place + text)."""
    texts = index_texts({info.doc_id: info}, passages)
    sentences = [s for p in passages for s in sentence_texts(info, p)]
    vectors = encoder.encode_passages(texts + sentences)
    return vectors[: len(texts)], vectors[len(texts):]


def model_name(encoder: TextEncoder) -> str:
    return str(getattr(encoder, "name", type(encoder).__name__))


def encoder_dim(encoder: TextEncoder) -> int:
    return int(encoder.dim)
