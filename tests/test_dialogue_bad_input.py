"""Bad input end to end: every odd message gets a Vietnamese reply, and nothing broken reaches the store."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.dialogue_helpers import CODE_RE, Conversation, is_vietnamese_reply

pytestmark = pytest.mark.e2e

HUGE = "Đường ấp 3 hư hỏng nặng, đề nghị sửa chữa. " * 2400  # ~100 kB
ODD_MESSAGES = {
    "empty": "",
    "blank": "   \n\t ",
    "emoji only": "😡😡😡🙏",
    "html": "<script>alert('x')</script><b>xin chào</b>",
    "sql injection": "'; DROP TABLE petitions; --",
    "100 kB": HUGE,
    "lone surrogate": "xin chào \ud800 bạn",
}


@pytest.fixture(scope="module")
def store(rasa_stack: Any) -> Iterator[Any]:
    from petitions.store import PetitionStore

    store = PetitionStore(rasa_stack.settings.petitions_url)
    yield store
    store.close()


def send_raw(stack: Any, sender: str, message: str) -> list[dict[str, Any]]:
    """POST with JSON escapes (\\ud800), as a client does whose text carries a lone surrogate."""
    body = json.dumps({"sender": sender, "message": message}, ensure_ascii=True).encode("ascii")
    response = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", content=body,
                          headers={"Content-Type": "application/json"}, timeout=120.0)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("name", list(ODD_MESSAGES))
def test_odd_messages_get_a_vietnamese_reply_and_store_nothing(rasa_stack: Any, store: Any, name: str) -> None:
    before = store.count()
    conv = Conversation(rasa_stack)
    replies = send_raw(rasa_stack, conv.sender, ODD_MESSAGES[name])
    assert is_vietnamese_reply(replies), str(replies)[:2000]
    if name == "100 kB":  # read as a petition: the citizen is told at once that it is too long to use
        assert "dài quá" in replies[0]["text"]
    assert store.count() == before
    # The conversation still works afterwards.
    conv.says("hủy")
    assert "Xin chào" in conv.says("xin chào")


@pytest.mark.parametrize("name", ["empty", "emoji only", "100 kB", "lone surrogate"])
def test_odd_matters_are_refused_in_vietnamese_and_the_form_asks_again(
    rasa_stack: Any, store: Any, name: str
) -> None:
    before = store.count()
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    replies = send_raw(rasa_stack, conv.sender, ODD_MESSAGES[name])
    assert is_vietnamese_reply(replies), str(replies)[:2000]
    assert "nội dung" in replies[-1]["text"].lower()  # the matter question again
    # Still on the matter question: a real matter is accepted and the form moves on to the commune.
    assert "xã, phường" in conv.says("Cống thoát nước trước chợ bị tắc, nước thải tràn ra đường").lower()
    conv.says("hủy")
    assert store.count() == before


def test_html_in_a_matter_is_stored_as_plain_text(rasa_stack: Any, store: Any) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    conv.says("<b>Cống thoát nước</b> trước chợ bị tắc <script>alert(1)</script>, nước thải tràn ra đường")
    conv.says("phường Tân Ninh")
    conv.says("không")
    code = CODE_RE.search(conv.says("Xác nhận"))
    assert code, conv.transcript()
    record = store.get_by_code(code.group(0))
    assert "<" not in record.text and "alert" not in record.text
    assert "Cống thoát nước" in record.text


def test_sql_in_a_matter_is_stored_verbatim_as_text(rasa_stack: Any, store: Any) -> None:
    matter = "Robert'); DROP TABLE petitions;-- lấn chiếm vỉa hè trước nhà số 5 đường 30/4"
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("/anonymous")
    conv.says(matter)
    conv.says("phường Tân Ninh")
    code = CODE_RE.search(conv.says("xac nhan"))
    assert code, conv.transcript()
    assert store.get_by_code(code.group(0)).text == matter


def test_broken_utf8_through_rest_is_rejected_and_the_channel_keeps_working(rasa_stack: Any) -> None:
    body = b'{"sender": "broken-utf8", "message": "xin ch\xe0o \xff\xfe"}'
    response = httpx.post(
        f"{rasa_stack.rasa_url}/webhooks/rest/webhook", content=body,
        headers={"Content-Type": "application/json"}, timeout=30.0,
    )
    assert 400 <= response.status_code < 500
    assert "Xin chào" in Conversation(rasa_stack, sender="broken-utf8").says("xin chào")
