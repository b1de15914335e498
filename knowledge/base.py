"""The knowledge base: documents in, cited answers out.

`KnowledgeBase.open` loads the index saved under a folder, (re)building it from the project's own documents when it
is missing or stale (other model, other format, shipped documents changed). `ask` answers one question; `add_files`,
`replace_file`, `edit_info` and `remove` change the collection and save it atomically. Only new or changed documents
are embedded.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from knowledge.abstention import Abstention
from knowledge.answering import DECLINE_TEXT, EMPTY_TEXT, compose_answer, structural_answer
from knowledge.building import SHIPPED_DIR, assemble, model_name, stamp, sync
from knowledge.collection import Collection
from knowledge.errors import IndexCorruptError, IngestError, KnowledgeError
from knowledge.ingest import PreparedDocument, prepare
from knowledge.models import Answer, DocInfo, IngestReport, Source
from knowledge.retrieval import SYSTEMS, Retriever, Search
from knowledge.revisions import EditableInfo, edited, next_version
from knowledge.store import MANIFEST, SOURCES, Manifest, index_lock, load_collection, read_manifest, save_collection
from knowledge.thesaurus import Thesaurus
from knowledge.tuning import Tuning, check_abstention
from nlp.protocols import TextEncoder

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
N_SOURCES = 5


@dataclass
class _State:
    collection: Collection
    retriever: Retriever
    manifest_stamp: tuple[int, int]


class KnowledgeBase:
    """Cited answers from the indexed documents; safe to share between threads."""

    def __init__(
        self,
        index_dir: Path,
        encoder: TextEncoder,
        collection: Collection,
        *,
        ann_threshold: int = 20000,
        documents_dir: Path = SHIPPED_DIR,
        abstention: Abstention | None = None,
        thesaurus: Thesaurus | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        """`tuning` (knowledge/data/tuning.yml unless given) must be the one `abstention` was fitted under:
        raises TuningError, naming `danvan tune`, when it is not."""
        self.index_dir = Path(index_dir)
        self.encoder = encoder
        self.ann_threshold = ann_threshold
        self.documents_dir = documents_dir
        self.tuning = tuning if tuning is not None else Tuning.load()
        self.abstention = abstention if abstention is not None else Abstention.load()
        check_abstention(self.tuning, self.abstention.meta.get("tuning"), self.abstention.source)
        self.thesaurus = thesaurus if thesaurus is not None else Thesaurus.load()
        self._write_lock = threading.Lock()
        self._state = self._make_state(collection)

    # ----------------------------------------------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        index_dir: Path,
        encoder: TextEncoder,
        ann_threshold: int = 20000,
        *,
        documents_dir: Path | None = None,
        tuning: Tuning | None = None,
        abstention: Abstention | None = None,
    ) -> KnowledgeBase:
        """Load the index under `index_dir`, building or updating it from the shipped documents when needed.

        The tuning and abstention fit are checked against each other before the index is touched."""
        index_dir = Path(index_dir)
        documents_dir = documents_dir or SHIPPED_DIR
        tuning = tuning if tuning is not None else Tuning.load()
        abstention = abstention if abstention is not None else Abstention.load()
        check_abstention(tuning, abstention.meta.get("tuning"), abstention.source)
        with index_lock(index_dir):
            collection = sync(index_dir, encoder, ann_threshold, documents_dir, tuning.digest)
        kb = cls(index_dir, encoder, collection, ann_threshold=ann_threshold, documents_dir=documents_dir,
                 abstention=abstention, tuning=tuning)
        kb._warm_up()
        return kb

    def _warm_up(self) -> None:
        """Pay one-off costs (pyvi's model, first FAISS call) now rather than on the first citizen's question."""
        self.ask("dan van la gi")

    def _make_state(self, collection: Collection) -> _State:
        retriever = Retriever(collection, self.encoder, self.thesaurus, self.tuning.retrieval)
        return _State(collection, retriever, _stamp(self.index_dir))

    def _current(self) -> _State:
        """The loaded state, reloaded first if another process saved a newer index."""
        state = self._state
        stamp = _stamp(self.index_dir)
        if stamp != state.manifest_stamp and stamp != (0, 0):
            with self._write_lock:
                if self._state.manifest_stamp != stamp:
                    manifest = read_manifest(self.index_dir)
                    try:
                        if manifest is None or manifest.model != model_name(self.encoder):
                            raise IndexCorruptError("the saved index was built with another model")
                        self._state = self._make_state(load_collection(self.index_dir, manifest))
                        log.info("reloaded the knowledge index saved by another process")
                    except IndexCorruptError as exc:
                        log.warning("kept the loaded index: %s", exc)
                        self._state.manifest_stamp = stamp  # do not retry on every question
                state = self._state
        return state

    # ------------------------------------------------------------------------------------------------------ asking
    def ask(self, question: str, *, system: str = "fused") -> Answer:
        """Answer `question` from the documents, or decline (answered=False) when they do not cover it."""
        return self.ask_systems(question, (system,))[system]

    def ask_systems(self, question: str, systems: Sequence[str] = SYSTEMS) -> dict[str, Answer]:
        """Answers of several retrieval systems from one search (used by the evaluation to compare them)."""
        question = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
        if not question:
            return {s: Answer(False, EMPTY_TEXT, []) for s in systems}
        state = self._current()
        search = state.retriever.search(question, systems=tuple(systems))
        return {s: self._answer(state.collection, search, s) for s in systems}

    def _answer(self, collection: Collection, search: Search, system: str) -> Answer:
        ranking = search.rankings[system]
        sources = [
            Source(
                doc=collection.passages[r].doc_id,
                title=collection.docs[collection.passages[r].doc_id].title,
                section=collection.passages[r].section,
                text=collection.passages[r].text,
                score=s,
            )
            for r, s in zip(ranking.rows[:N_SOURCES], ranking.scores[:N_SOURCES], strict=False)
        ]
        if not ranking.rows:
            return Answer(False, DECLINE_TEXT, sources, 0.0)
        answered, p = self.abstention.answers(system, ranking.features)
        # "Sở Y tế phải làm gì theo công văn 608?": a named letter's structure answers it, however loosely worded.
        composed = structural_answer(collection, search.query.text, ranking.rows)
        if composed is None:
            if not answered:
                return Answer(False, DECLINE_TEXT, sources, p)
            composed = compose_answer(collection, search.query.text, ranking.rows, search.query_vector,
                                      self.tuning.answer, search.query.expansions)
        return Answer(True, composed.text, sources, p, composed.full_text)

    def search(self, question: str) -> Search:
        """The raw ranking with its evidence features (for calibration and diagnostics)."""
        return self._current().retriever.search(" ".join(question.split())[:MAX_QUESTION_CHARS])

    # ----------------------------------------------------------------------------------------------- documents
    def documents(self) -> list[DocInfo]:
        return list(self._current().collection.docs.values())

    @property
    def collection(self) -> Collection:
        return self._current().collection

    def manifest(self) -> Manifest | None:
        return read_manifest(self.index_dir)

    def add_files(self, paths: Iterable[Path]) -> list[IngestReport]:
        """Ingest .txt/.md/.docx/.pdf files (new or changed); all are checked before the index changes.

        A file whose name gives the id of an operator document already indexed is a new version of it."""
        prepared = [prepare(Path(p)) for p in paths]
        seen: dict[str, Path] = {}
        for doc in prepared:
            if doc.doc_id in seen:
                raise IngestError(doc.path, f"two files give the same document id {doc.doc_id!r} ({seen[doc.doc_id]})")
            seen[doc.doc_id] = doc.path
        return self._ingest(prepared)

    def replace_file(self, doc_id: str, path: Path) -> IngestReport:
        """Index `path` as the newer version of operator document `doc_id`, whatever the file is called: the id,
        and so every link and past citation, stays; the old version's citation goes into the document's history."""
        doc = self._operator_doc(doc_id)
        new = prepare(Path(path), doc_id=doc.doc_id)
        return self._ingest([new])[0]

    def edit_info(self, doc_id: str, wanted: EditableInfo) -> DocInfo:
        """Set an operator document's citation details (raises MetadataInvalid, naming the field, on bad input).

        The details are part of what is embedded ("Thông báo 12/TB-UBND. …"), so the document is indexed again
        from its stored copy; the edits are kept and re-applied whenever that copy is parsed again."""
        with self._write_lock, index_lock(self.index_dir):
            base = self._state.collection
            doc = self._operator_doc(doc_id)
            updated = edited(doc, wanted)
            if EditableInfo.of(updated) == EditableInfo.of(doc):
                return doc
            stored = prepare(self.index_dir / SOURCES / doc.source_name, doc_id=doc.doc_id)
            stored.parsed.info = replace(updated, content_hash=stored.content_hash,
                                         passages=stored.parsed.info.passages)
            self._save(assemble(base, [stored], set(), self.encoder, self.ann_threshold))
            log.info("knowledge index: citation details of %s edited", doc_id)
            return stored.parsed.info

    def _ingest(self, prepared: list[PreparedDocument]) -> list[IngestReport]:
        with self._write_lock, index_lock(self.index_dir):
            base = self._state.collection
            reports: list[IngestReport] = []
            changed: list[PreparedDocument] = []
            for doc in prepared:
                existing = base.docs.get(doc.doc_id)
                if existing is not None and existing.shipped:
                    raise IngestError(doc.path,
                                      f"document id {doc.doc_id!r} belongs to a built-in document; rename the file")
                if existing is not None and existing.content_hash == doc.content_hash:
                    status = "unchanged"
                else:
                    status = "updated" if existing is not None else "added"
                    if existing is not None:
                        doc.parsed.info = next_version(existing, doc.parsed.info,
                                                       datetime.now(UTC).isoformat(timespec="seconds"))
                    changed.append(doc)
                reports.append(IngestReport(doc.doc_id, str(doc.path), status, len(doc.parsed.passages),
                                            doc.parsed.info.title))
            if changed:
                self._save(assemble(base, changed, set(), self.encoder, self.ann_threshold),
                           sources={d.source_name: d.path for d in changed})
                log.info("knowledge index: %d document(s) added or updated", len(changed))
        return reports

    def _operator_doc(self, doc_id: str) -> DocInfo:
        doc = self._state.collection.docs.get(doc_id)
        if doc is None:
            raise KnowledgeError(f"no document with id {doc_id!r}")
        if doc.shipped:
            raise KnowledgeError(f"{doc_id!r} is a built-in document and cannot be changed here")
        return doc

    def _save(self, collection: Collection, sources: dict[str, Path] | None = None) -> None:
        """Write `collection` as the index (callers hold both locks) and serve it from now on."""
        save_collection(self.index_dir, collection, model_name(self.encoder), sources=sources,
                        extra=stamp(self.tuning.digest))
        self._state = self._make_state(collection)

    def remove(self, doc_id: str) -> None:
        """Remove an operator document; the project's own documents cannot be removed."""
        with self._write_lock, index_lock(self.index_dir):
            self._operator_doc(doc_id)
            self._save(assemble(self._state.collection, [], {doc_id}, self.encoder, self.ann_threshold))


def _stamp(index_dir: Path) -> tuple[int, int]:
    try:
        st = (index_dir / MANIFEST).stat()
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)
