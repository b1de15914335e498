"""The searchable state of the knowledge base: documents, passages, their vectors and the derived indexes.

Derived structures (BM25 views, FAISS index, accent model) are rebuilt from passages and vectors whenever the set of
documents changes; vectors are kept per document so that only new or changed documents are embedded again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.accents import AccentModel
from knowledge.bm25 import BM25
from knowledge.dense import DenseIndex
from knowledge.models import DocInfo, Passage
from knowledge.terms import passage_terms


def index_text(doc: DocInfo, passage: Passage, *, first: bool = False) -> str:
    """What the indexes see for a passage: a short name of its document and its place, then its text.

    Questions name documents ("công văn 608", "quyết định 290") and places ("điểm 4") that a bare bullet does not
    contain, so every passage carries them; the name is kept short so that it does not drown a short point. The
    first passage of a document also carries its identity (date, issuer, title), which questions such as "ai ban
    hành", "ký ngày nào" ask about.
    """
    name = f"{doc.kind} {doc.number}".strip() if doc.number else _short(doc.title)
    head = ". ".join(p for p in (name, passage.section, passage.context) if p)
    if first:
        identity = [f"ban hành ngày {doc.date}" if doc.date else "", f"cơ quan ban hành {doc.issuer}" if doc.issuer
                    else "", doc.title]
        head = ". ".join([head, *[p for p in identity if p]])
    return f"{head}.\n{passage.text}"


def _short(title: str, words: int = 10) -> str:
    parts = title.split()
    return " ".join(parts[:words])


IDENTITY_KINDS = ("header", "opening", "signature")


def carries_identity(passages: list[Passage], row: int) -> bool:
    """The header, opening and signature say who issued a document and when; so does a document's first passage."""
    passage = passages[row]
    return passage.kind in IDENTITY_KINDS or row == 0 or passages[row - 1].doc_id != passage.doc_id


def index_texts(docs: dict[str, DocInfo], passages: list[Passage]) -> list[str]:
    return [index_text(docs[p.doc_id], p, first=carries_identity(passages, i)) for i, p in enumerate(passages)]


def sentence_texts(doc: DocInfo, passage: Passage) -> list[str]:
    """Sentences as embedded: each prefixed with the short name of its document."""
    name = f"{doc.kind} {doc.number}".strip() if doc.number else _short(doc.title)
    return [f"{name}. {s}" for s in passage.sentences] or [f"{name}. {passage.text}"]


@dataclass
class Collection:
    docs: dict[str, DocInfo]
    passages: list[Passage]
    vectors: np.ndarray  # (n, dim) float32, row i = passages[i]
    sentence_vectors: np.ndarray  # (m, dim): every sentence of every passage, in order
    sentence_rows: np.ndarray  # (m,) passage row of each sentence
    bm25_accented: BM25
    bm25_folded: BM25
    dense: DenseIndex
    dense_sentences: DenseIndex
    accents: AccentModel
    termsets: list[tuple[frozenset[str], frozenset[str]]]  # (accented, folded) terms of each passage

    @classmethod
    def build(
        cls,
        docs: dict[str, DocInfo],
        passages: list[Passage],
        vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        ann_threshold: int,
    ) -> Collection:
        texts = index_texts(docs, passages)
        terms = [passage_terms(t) for t in texts]
        rows = [i for i, p in enumerate(passages) for _ in sentence_texts(docs[p.doc_id], p)]
        if len(rows) != len(sentence_vectors) or len(passages) != len(vectors):
            raise ValueError("vectors do not match the passages")
        return cls(
            docs=docs,
            passages=passages,
            vectors=vectors,
            sentence_vectors=sentence_vectors,
            sentence_rows=np.array(rows, dtype=np.int32),
            bm25_accented=BM25.fit([a for a, _ in terms]),
            bm25_folded=BM25.fit([f for _, f in terms]),
            dense=DenseIndex.build(vectors, ann_threshold),
            dense_sentences=DenseIndex.build(sentence_vectors, ann_threshold),
            accents=AccentModel.build([p.text for p in passages] + [d.title for d in docs.values()]),
            termsets=[(frozenset(a), frozenset(f)) for a, f in terms],
        )

    @classmethod
    def restore(
        cls,
        docs: dict[str, DocInfo],
        passages: list[Passage],
        vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        sentence_rows: np.ndarray,
        bm25_accented: BM25,
        bm25_folded: BM25,
        dense: DenseIndex,
        dense_sentences: DenseIndex,
        accents: AccentModel,
    ) -> Collection:
        """Reassemble a saved collection without refitting anything; term sets come from the BM25 postings."""
        return cls(
            docs=docs, passages=passages, vectors=vectors, sentence_vectors=sentence_vectors,
            sentence_rows=sentence_rows, bm25_accented=bm25_accented, bm25_folded=bm25_folded, dense=dense,
            dense_sentences=dense_sentences, accents=accents,
            termsets=list(zip(_termsets(bm25_accented), _termsets(bm25_folded), strict=False)),
        )

    def doc_rows(self, doc_id: str) -> np.ndarray:
        """Passage rows of one document (its passages are contiguous)."""
        return np.array([i for i, p in enumerate(self.passages) if p.doc_id == doc_id], dtype=np.int64)

    def doc_vectors(self, doc_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(passage vectors, sentence vectors) of one document, to carry over to a rebuilt collection."""
        rows = self.doc_rows(doc_id)
        sentence_mask = np.isin(self.sentence_rows, rows)
        return self.vectors[rows], self.sentence_vectors[sentence_mask]

    @classmethod
    def empty(cls, dim: int, ann_threshold: int) -> Collection:
        return cls.build({}, [], np.zeros((0, dim), np.float32), np.zeros((0, dim), np.float32), ann_threshold)

    def __len__(self) -> int:
        return len(self.passages)

    def doc_of(self, row: int) -> DocInfo:
        return self.docs[self.passages[row].doc_id]


def _termsets(bm25: BM25) -> list[frozenset[str]]:
    sets: list[set[str]] = [set() for _ in range(bm25.n_docs)]
    for term, (docs, _) in bm25.postings.items():
        for d in docs.tolist():
            sets[d].add(term)
    return [frozenset(s) for s in sets]
