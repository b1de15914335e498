"""Bridge latencies the tests only check for order (tests/test_bot_zalo.py, tests/test_bot_telegram.py):

- Zalo: the webhook's 200 while Rasa takes 1.5 s to answer (Zalo wants it within ~2 s; budget 0.5 s).
- Telegram: a second chat's answer while the first chat's Rasa turn takes 0.8 s (budget 0.6 s).

Run: .venv/bin/python benchmarks/bench_bridges.py [--rounds 5]. Exits 1 when a median is over its budget.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures_bot import running_telegram, running_zalo, telegram_config, zalo_config  # noqa: E402
from tests.standins.rasa_rest import RasaRestStandin  # noqa: E402
from tests.standins.telegram_api import TelegramStandin  # noqa: E402
from tests.standins.zalo_api import ZaloStandin  # noqa: E402

ZALO_ACK_BUDGET_S = 0.5
TELEGRAM_OTHER_CHAT_BUDGET_S = 0.6


async def zalo_ack(tmp: Path, i: int) -> float:
    with ZaloStandin() as api, RasaRestStandin() as rasa:
        rasa.delay_s = 1.5
        async with running_zalo(zalo_config(api, rasa.url, tmp / f"zalo{i}", rasa_timeout_s=5.0)) as bot:
            body, headers = api.make_text_event("84001", "Kết luận 43 nói gì?", msg_id=f"m{i}")
            started = time.monotonic()
            response = await bot.post(body, headers)
            elapsed = time.monotonic() - started
            assert response.status_code == 200
            await api.wait_for(lambda: api.texts("84001"), timeout_s=10)
            return elapsed


async def telegram_other_chat(tmp: Path, i: int) -> float:
    async def responder(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if sender == "telegram:1":
            await asyncio.sleep(0.8)
        return [{"text": f"trả lời {text}"}]

    with TelegramStandin() as api, RasaRestStandin() as rasa:
        rasa.responder = responder
        async with running_telegram(telegram_config(api, rasa.url, tmp / f"tg{i}.db", rasa_timeout_s=5.0)):
            api.send_text(1, "chậm 1")
            api.send_text(1, "chậm 2")
            started = time.monotonic()
            api.send_text(2, "nhanh")
            await api.wait_for(lambda: api.texts(2), timeout_s=10)
            elapsed = time.monotonic() - started
            await api.wait_for(lambda: len(api.texts(1)) == 2, timeout_s=10)
            return elapsed


async def main(rounds: int) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, bench, budget in (("zalo webhook 200 (Rasa 1.5 s)", zalo_ack, ZALO_ACK_BUDGET_S),
                                    ("telegram other chat answered", telegram_other_chat,
                                     TELEGRAM_OTHER_CHAT_BUDGET_S)):
            times = [await bench(Path(tmp), i) for i in range(rounds)]
            median = statistics.median(times)
            ok = median <= budget
            failed += not ok
            print(f"{name}: median {median * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                  f"(budget {budget * 1000:.0f} ms) {'ok' if ok else 'OVER BUDGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    sys.exit(asyncio.run(main(parser.parse_args().rounds)))
