"""Dân kiểm tra end to end: the owner sees the status of a petition; nobody else does."""
from __future__ import annotations

from typing import Any

import pytest

from tests.dialogue_helpers import Conversation, file_petition

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def filed(rasa_stack: Any) -> tuple[Conversation, str]:
    """A petition filed with a phone number; returns its citizen and its code."""
    conv = Conversation(rasa_stack)
    code = file_petition(
        conv,
        start="tôi muốn khiếu nại",
        consent="đồng ý",
        matter="Tôi khiếu nại quyết định thu hồi đất của gia đình tôi vì mức bồi thường thấp hơn giá thị trường nhiều",
        commune="xã Hảo Đước",
        phone="0987 654 321",
        confirm="Xác nhận",
    )
    return conv, code


def test_the_owner_sees_status_agency_and_dates(filed: tuple[Conversation, str]) -> None:
    conv, code = filed
    reply = conv.says(f"hồ sơ {code} đến đâu rồi")
    assert code in reply and "Đã tiếp nhận" in reply, conv.transcript()
    assert "Cơ quan giải quyết" in reply and "Ngày tiếp nhận" in reply and "Hạn giải quyết" in reply, conv.transcript()


def test_the_owner_can_type_the_code_in_lower_case_without_dashes(filed: tuple[Conversation, str]) -> None:
    conv, code = filed
    reply = conv.says(code.lower().replace("-", " "))
    assert code in reply and "Tình trạng" in reply, conv.transcript()


def test_a_stranger_is_refused_without_learning_anything(rasa_stack: Any, filed: tuple[Conversation, str]) -> None:
    owner, code = filed
    stranger = Conversation(rasa_stack)
    reply = stranger.says(f"tra cứu {code}")
    assert "không tìm thấy" in reply.lower(), stranger.transcript()
    assert "Tình trạng" not in reply and "Hảo Đước" not in reply and "Cơ quan" not in reply
    # A code that does not exist gets exactly the same answer, so a refusal does not confirm that a code exists.
    from petitions.codes import new_code

    other = new_code()
    assert stranger.says(f"tra cứu {other}") == reply.replace(code, other)


def test_a_stranger_with_the_phone_used_at_filing_is_shown_the_status(
    rasa_stack: Any, filed: tuple[Conversation, str]
) -> None:
    _, code = filed
    helper = Conversation(rasa_stack)
    reply = helper.says(f"{code} 0987654321")
    assert "Tình trạng" in reply and code in reply, helper.transcript()
    wrong = helper.says(f"{code} 0987654322")
    assert "Tình trạng" not in wrong and "không tìm thấy" in wrong.lower(), helper.transcript()


def test_a_mistyped_code_is_caught_by_its_check_symbol(rasa_stack: Any, filed: tuple[Conversation, str]) -> None:
    _, code = filed
    body = code.replace("-", "")[2:]
    swapped = "TN-" + ("2" if body[0] != "2" else "3") + body[1:4] + "-" + body[4:]
    reply = Conversation(rasa_stack).says(f"tra cứu {swapped}")
    assert "chưa đúng" in reply


def test_asking_for_status_without_a_code_asks_for_it(rasa_stack: Any) -> None:
    reply = Conversation(rasa_stack).says("tra cứu hồ sơ")
    assert "mã tra cứu" in reply and "TN-XXXX-XXXX" in reply


def test_my_petitions_are_listed_without_a_code(rasa_stack: Any, filed: tuple[Conversation, str]) -> None:
    conv, code = filed
    reply = conv.says("tôi quên mã tra cứu rồi")
    assert code in reply and "Đã tiếp nhận" in reply, conv.transcript()
    stranger = Conversation(rasa_stack)
    reply = stranger.says("hồ sơ của tôi")
    assert code not in reply and "chưa thấy phản ánh nào" in reply, stranger.transcript()
