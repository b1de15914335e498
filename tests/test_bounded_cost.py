"""No message can exhaust a server: routing and answering the nastiest inputs stay within tens of MB (issue 12,
finding 3: `route("a" * 6000)` grew to 17.9 GB before it was killed).

The inputs run in a child process under an address-space cap, so that a regression fails this test with a
MemoryError instead of taking the machine down. Time is not asserted here (it depends on the machine);
benchmarks/bench_nasty_inputs.py measures it beside an ordinary message.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The child loads the encoder, the router and the knowledge index (about 2.3 GB of address space, most of it
# mapped but never touched); the cap leaves room for that, not for a blow-up.
ADDRESS_SPACE_CAP_MB = 4096
# Growth of the resident set allowed while one input is routed and asked (measured: a few tens of MB at most).
MAX_GROWTH_MB = 150

NASTY = {
    "single_token_6000": "a" * 6000,
    "one_letter_tokens_5000": " ".join("abcdeghiklmnopqrstuvxy"[i % 22] for i in range(2500)),
    "combining_marks_x1000": "a" + "\u0301\u0300\u0303\u0309\u0323" * 200,
    "emoji_5000": "😀👨‍👩‍👧🇻🇳" * 1000,
    "mixed_no_diacritics_5000": (
        "duong vao ap binh hoa bi sut lun sau may tran mua xe may di lai rat nguy hiem de nghi xa sua chua som "
        "https://example.org/duong-vao-ap-binh-hoa-bi-sut-lun-nghiem-trong-sau-mua-lon 0912345678 " * 40
    )[:5000],
    "long_token_with_neighbours": "dan van " + "kheo" * 1500 + " la gi",
}


def test_restoration_skips_runs_without_spaces_and_keeps_the_rest() -> None:
    from nlp.text import fold, has_diacritics, restore_diacritics

    url = "https://example.org/" + "duong-vao-ap" * 10
    restored = restore_diacritics(f"dan van kheo\tla gi {url} xin chao")
    assert url in restored  # left as typed
    assert all(has_diacritics(word) for word in restored.split()[1:3])  # its neighbours are still restored
    assert "\t" in restored and fold(restored) == fold(f"dan van kheo\tla gi {url} xin chao")


def test_restoration_is_applied_to_a_bounded_prefix() -> None:
    from nlp.limits import MAX_RESTORE_CHARS
    from nlp.text import restore_diacritics

    text = "dan van kheo la gi " * 400  # 7,600 characters
    restored = restore_diacritics(text)
    assert len(restored) == len(text)
    assert restored[:MAX_RESTORE_CHARS - 20] != text[:MAX_RESTORE_CHARS - 20]  # the head is restored
    assert restored[MAX_RESTORE_CHARS + 20:] == text[MAX_RESTORE_CHARS + 20:]  # the tail is kept as typed


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(field)


def _child(model: str, index_dir: str) -> None:
    """In the capped child: route and ask every input, printing each one's peak growth as a JSON line."""
    from knowledge import KnowledgeBase
    from nlp.embedding import load_encoder
    from petitions.router import Router

    encoder = load_encoder(model)
    router = Router.load(REPO_ROOT / "petitions" / "data" / "agencies.yml", encoder,
                         cache_dir=REPO_ROOT / "var" / "cache")
    kb = KnowledgeBase.open(Path(index_dir), encoder)
    router.route("Đường vào ấp bị sụt lún, đề nghị sửa chữa.")
    for name, text in NASTY.items():
        print(json.dumps({"starting": name}), flush=True)
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
        before = _status_mb("VmRSS")
        route = router.route(text)
        answer = kb.ask(text)
        assert route.agency in router.table.codes and isinstance(answer.answer, str)
        print(json.dumps({"input": name, "growth_mb": _status_mb("VmHWM") - before}), flush=True)


def _cap_address_space() -> None:
    limit = ADDRESS_SPACE_CAP_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.slow
def test_nasty_messages_route_and_ask_within_bounded_memory(knowledge_base, petition_router, model_path: str,
                                                            tmp_path: Path) -> None:
    # knowledge_base and petition_router are requested so the index and the router's fit exist before the child
    # loads them (the child then only reads them).
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_bounded_cost", model_path, str(knowledge_base.index_dir)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, preexec_fn=_cap_address_space,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    started_inputs = [line["starting"] for line in lines if "starting" in line]
    growth = {line["input"]: line["growth_mb"] for line in lines if "input" in line}
    context = (f"exit {done.returncode} after {time.monotonic() - started:.0f} s while on "
               f"{started_inputs[-1] if started_inputs else 'loading'}:\n{done.stderr[-2500:]}")
    assert done.returncode == 0, context
    assert set(growth) == set(NASTY), context
    too_big = {name: round(mb) for name, mb in growth.items() if mb > MAX_GROWTH_MB}
    assert not too_big, f"peak memory grew by more than {MAX_GROWTH_MB} MB: {too_big}"


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
