"""Cutting long answers, numbered menus, and the Rasa client's typed errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rasa_client import Button, RasaBadResponse, RasaClient, RasaUnavailable
from bot.render import menu_choice, numbered_menu, split_text, text_length
from tests.fixtures_bot import rasa_rest  # noqa: F401
from tests.standins._server import free_port
from tests.standins.rasa_rest import RasaRestStandin


def test_split_prefers_paragraphs_then_sentences() -> None:
    text = "Đoạn một câu một. Đoạn một câu hai.\n\nĐoạn hai câu một. Đoạn hai câu hai."
    assert split_text(text, 45) == ["Đoạn một câu một. Đoạn một câu hai.", "Đoạn hai câu một. Đoạn hai câu hai."]
    assert split_text("Câu một dài. Câu hai dài. Câu ba.", 26) == ["Câu một dài. Câu hai dài.", "Câu ba."]


def test_split_counts_emoji_as_telegram_does() -> None:
    parts = split_text("🙏" * 3000, 4096)  # 6,000 UTF-16 units
    assert [text_length(p) for p in parts] == [4096, 1904]


def test_short_and_empty_texts() -> None:
    assert split_text("  Xin chào  ", 4096) == ["Xin chào"]
    assert split_text("   ", 4096) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâđêôơư .!?\n…") + ["🙏"]), max_size=600),
       st.integers(min_value=5, max_value=120))
def test_split_never_exceeds_the_limit_and_loses_no_words(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < text_length(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_numbered_menu_and_choices() -> None:
    buttons = [Button("Có", "/affirm"), Button("Không", "/deny")]
    menu = numbered_menu("Bà con đồng ý chứ?", buttons)
    assert menu.startswith("Bà con đồng ý chứ?\n\n1. Có\n2. Không\n")
    assert menu_choice("2", 2) == 1
    assert menu_choice(" 1. ", 2) == 0
    assert menu_choice("số 2", 2) == 1
    assert menu_choice("3", 2) is None
    assert menu_choice("0", 2) is None
    assert menu_choice("2 cái", 2) is None


async def test_rasa_client_parses_replies(rasa_rest: RasaRestStandin) -> None:
    rasa_rest.responder = lambda s, t, m: [
        {"text": "Chọn:", "buttons": [{"title": "A", "payload": "/a"}]},
        {"image": "https://example.org/a.png"},
    ]
    async with RasaClient(rasa_rest.url) as client:
        replies = await client.send("telegram:1", "hi", {"channel": "telegram"})
    assert replies[0].text == "Chọn:" and replies[0].buttons == (Button("A", "/a"),)
    assert replies[1].image == "https://example.org/a.png"
    assert rasa_rest.received[0]["metadata"] == {"channel": "telegram"}


async def test_rasa_client_errors_are_typed(rasa_rest: RasaRestStandin) -> None:
    async with RasaClient(f"http://127.0.0.1:{free_port()}") as down:
        with pytest.raises(RasaUnavailable):
            await down.send("telegram:1", "hi")
    async with RasaClient(rasa_rest.url) as client:
        rasa_rest.status = 503
        with pytest.raises(RasaUnavailable):
            await client.send("telegram:1", "hi")
        rasa_rest.status = 400
        with pytest.raises(RasaBadResponse):
            await client.send("telegram:1", "hi")
    rasa_rest.status = None
    rasa_rest.delay_s = 1.0
    async with RasaClient(rasa_rest.url, timeout_s=0.2) as slow:
        with pytest.raises(RasaUnavailable):
            await slow.send("telegram:1", "hi")
