"""The seam between the embedding model and what uses it (knowledge index, router).

nlp/embedding.py's `Encoder` is the one real implementation; typing against this Protocol instead of the class lets
a caller pass a small deterministic encoder where the model's quality is not what is being exercised, and keeps
knowledge/ and petitions/ from depending on torch and sentence-transformers just to name a type.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class TextEncoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of one width; queries and passages may be embedded differently
    (e5's "query: " / "passage: " prefixes)."""

    @property
    def name(self) -> str:
        """Identifies the model and its numeric path: caches and index manifests keyed by it go stale with it."""
        ...

    @property
    def dim(self) -> int:
        """Width of every vector returned."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions or petitions to compare against passages; shape (len(texts), dim)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Document passages or reference texts to be searched; shape (len(texts), dim)."""
        ...
