"""Okapi BM25 over pre-tokenised passages, with postings precomputed so a query costs one pass over its terms.

Written here rather than taken from a library because the views need their own tokens (accented and folded
syllables with bigrams) and the statistics must be saved beside the FAISS index and reloaded without refitting.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np


class BM25:
    """BM25 with the usual k1/b; `idf` uses the non-negative variant log(1 + (N - df + .5)/(df + .5))."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.n_docs = 0
        self.doc_len = np.zeros(0, dtype=np.float32)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term -> (doc indexes, term frequencies)
        self._weights: dict[str, np.ndarray] = {}

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25:
        index = cls(k1, b)
        raw: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                entry = raw.setdefault(term, ([], []))
                entry[0].append(i)
                entry[1].append(tf)
        index.n_docs = len(docs)
        index.doc_len = np.array([len(d) for d in docs], dtype=np.float32)
        index.postings = {t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in raw.items()}
        index._precompute()
        return index

    def _precompute(self) -> None:
        avgdl = float(self.doc_len.mean()) if self.n_docs else 1.0
        norm = self.k1 * (1.0 - self.b + self.b * self.doc_len / max(avgdl, 1e-9))
        self._weights = {}
        for term, (docs, tfs) in self.postings.items():
            self._weights[term] = (self.idf(term) * tfs * (self.k1 + 1.0) / (tfs + norm[docs])).astype(np.float32)

    def idf(self, term: str) -> float:
        df = len(self.postings[term][0]) if term in self.postings else 0
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def df(self, term: str) -> int:
        return len(self.postings[term][0]) if term in self.postings else 0

    def __contains__(self, term: str) -> bool:
        return term in self.postings

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (repeated query terms count once)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term in dict.fromkeys(query):
            posting = self.postings.get(term)
            if posting is not None:
                out[posting[0]] += self._weights[term]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "k1": self.k1,
            "b": self.b,
            "doc_len": self.doc_len.astype(int).tolist(),
            "postings": {t: [d.tolist(), f.astype(int).tolist()] for t, (d, f) in self.postings.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BM25:
        index = cls(float(data["k1"]), float(data["b"]))
        index.doc_len = np.array(data["doc_len"], dtype=np.float32)
        index.n_docs = len(index.doc_len)
        index.postings = {
            t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in data["postings"].items()
        }
        index._precompute()
        return index
