""""Why do you need my commune / my phone?" in the middle of the petition form, end to end through the real Rasa
server and action server: the reason from the text catalogue, then the same question again, and the form goes on
from that step (nothing is taken for an answer, the next answer is stored)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from actions import texts
from petitions.store import PetitionStore
from tests.dialogue_helpers import CODE_RE, Conversation

pytestmark = pytest.mark.e2e

ASKS_COMMUNE = "xã, phường nào"
ASKS_PHONE = "số điện thoại để cơ quan liên hệ"


@pytest.fixture(scope="module")
def store(rasa_stack: Any) -> Iterator[PetitionStore]:
    opened = PetitionStore(rasa_stack.settings.petitions_url)
    yield opened
    opened.close()


def test_why_the_commune_and_the_phone_are_asked_then_the_form_resumes(rasa_stack: Any,
                                                                       store: PetitionStore) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    assert ASKS_COMMUNE in conv.says("Đường vào ấp 3 bị ngập sâu mỗi khi mưa lớn vì cống thoát nước bị nghẹt"), \
        conv.transcript()
    for why in ("răng phải ghi xã chi rứa?", "sao phải cho biết xã?"):
        reply = conv.says(why)
        assert texts.FIELD_REASONS["commune"] in reply and reply.rstrip().endswith(
            "(ví dụ: xã Hảo Đước, phường Tân Ninh)"), conv.transcript()
        assert "không đề cập" not in reply, conv.transcript()
    assert ASKS_PHONE in conv.says("phường Tân Ninh"), conv.transcript()
    reply = conv.says("tại sao cần số điện thoại?")
    assert texts.FIELD_REASONS["phone"] in reply and ASKS_PHONE in reply, conv.transcript()
    conv.says("0987 654 321")
    receipt = conv.says("Xác nhận")
    match = CODE_RE.search(receipt)
    assert match, conv.transcript()
    record = store.get_by_code(match.group(0))
    assert record is not None and record.commune_matched and record.commune_name == "Tân Ninh"
    assert record.contact_phone == "+84987654321"
