"""FAISS index over L2-normalised passage embeddings (inner product = cosine), exact or approximate by size.

Small collections use exact search (IndexFlatIP): it is fast enough and never misses. Past `ann_threshold` vectors
the index switches to HNSW, and its recall@10 against exact search is measured at build time and kept in the
manifest, so an operator can see what the approximation costs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    import faiss  # imported where used: loading FAISS is not needed just to name its types

log = logging.getLogger(__name__)

HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
RECALL_SAMPLE = 200


@dataclass
class DenseIndex:
    """A FAISS index whose row i is passage i of the collection."""

    index: faiss.Index
    kind: str  # "flat" | "hnsw"
    recall_at_10: float | None = None

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, ann_threshold: int) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) <= ann_threshold:
            flat = faiss.IndexFlatIP(dim)
            flat.add(vectors)
            return cls(flat, "flat")
        hnsw = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        hnsw.add(vectors)
        recall = measure_recall(hnsw, vectors)
        log.info("approximate index over %d vectors: recall@10 vs exact = %.3f", len(vectors), recall)
        return cls(hnsw, "hnsw", recall)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest passages for each query row; rows are -1 past the collection size."""
        k = max(1, min(k, self.size))
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str, recall_at_10: float | None) -> DenseIndex:
        import faiss

        index = faiss.read_index(str(path))
        if kind == "hnsw":
            # read_index hands back the concrete (downcast) index; its stub declares only the base class.
            cast(faiss.IndexHNSW, index).hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, kind, recall_at_10)


def measure_recall(index: faiss.Index, vectors: np.ndarray, k: int = 10, sample: int = RECALL_SAMPLE) -> float:
    """Mean overlap of the approximate and the exact top-k, for a fixed sample of the vectors used as queries."""
    import faiss

    rng = np.random.default_rng(0)
    rows = rng.choice(len(vectors), size=min(sample, len(vectors)), replace=False)
    queries = vectors[rows]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, k)
    _, found = index.search(queries, k)
    hits = sum(len(set(t) & set(f)) for t, f in zip(truth.tolist(), found.tolist(), strict=False))
    return hits / float(truth.size)
