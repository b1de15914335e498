"""Dân biết end to end: the examples of issue 13 asked through the real Rasa and action servers.

Each test asks what a citizen or a cadre asked and checks the one thing they needed in the reply's first lines (the
fact, not a passage around it), then the citation. The index is the shipped documents only, as in production.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.dialogue_helpers import Conversation, buttons, joined

pytestmark = pytest.mark.e2e

MOTTO = "Dân biết, dân bàn, dân làm, dân kiểm tra"
LETTER = "Công văn 608/UBND-NCPC ngày 02/4/2019"


def _answer(stack: Any, question: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(the fact part, the "Nguồn:" line, the replies) of the assistant's answer to `question`."""
    conv = Conversation(stack)
    replies = conv.say(question)
    text = joined(replies)
    assert "\nNguồn: " in text, conv.transcript()
    fact, source = text.rsplit("\nNguồn: ", 1)
    return fact, source, replies


@pytest.mark.parametrize("question", ["Công văn 608 nêu phương châm gì về vai trò của nhân dân?",
                                      "cong van 608 neu phuong cham gi ve vai tro cua nhan dan"])
def test_the_motto_is_stated_as_the_fact(rasa_stack: Any, question: str) -> None:
    fact, source, replies = _answer(rasa_stack, question)
    assert fact == f"Phương châm: “{MOTTO}”."
    assert source.startswith("điểm 4, gạch đầu dòng thứ nhất, " + LETTER)
    assert [b["title"] for b in buttons(replies)] == ["Xem nguyên văn"]


def test_who_was_given_which_duties_is_the_list_of_eight_points(rasa_stack: Any) -> None:
    fact, _, _ = _answer(rasa_stack, "Công văn 608 giao cho ai nhiệm vụ gì?")
    lines = fact.split("\n")
    assert "các sở, ban, ngành tỉnh và UBND các huyện, thành phố" in lines[0]
    assert [ln.split(".")[0] for ln in lines[1:]] == [str(n) for n in range(1, 9)]


def test_a_cadre_hears_what_the_letter_asks_of_their_agency(rasa_stack: Any) -> None:
    fact, source, _ = _answer(rasa_stack, "Sở Y tế phải làm gì theo công văn 608?")
    assert fact.startswith("Sở Y tế thuộc “Các sở, ban, ngành tỉnh”")
    assert sum(bool(re.match(r"^\d\. ", ln)) for ln in fact.split("\n")) == 8
    assert source.startswith("phần mở đầu và điểm 1–8")


def test_date_and_signer_without_scan_noise(rasa_stack: Any) -> None:
    fact, _, _ = _answer(rasa_stack, "công văn 608 ban hành ngày nào, ai ký?")
    assert "02/4/2019" in fact and "Phó Chủ tịch UBND tỉnh Tây Ninh Nguyễn Thanh Ngọc ký (KT. Chủ tịch)" in fact
    assert "NC-THONG" not in fact and "JCT" not in fact


def test_the_yearly_plan_in_everyday_words(rasa_stack: Any) -> None:
    fact, source, _ = _answer(rasa_stack, "ủy ban tỉnh yêu cầu các huyện phải làm kế hoạch gì hả")
    assert "xây dựng kế hoạch hàng năm thực hiện Kết luận này" in fact
    assert source.startswith("điểm 1, " + LETTER)


@pytest.mark.xfail(reason="sentence choice: a clause sharing more common words wins over 'đối thoại'; a bonus for the "
                          "question's rarest word measured 0.866 -> 0.857 fact-in-answer on dev + own, so not shipped",
                   strict=False)
def test_dialogue_with_the_people_is_answered_from_the_passage_about_it(rasa_stack: Any) -> None:
    fact, source, _ = _answer(rasa_stack, "Cán bộ, công chức phải làm gì khi tiếp xúc, đối thoại với nhân dân?")
    assert "Tăng cường đối thoại, tiếp xúc với nhân dân" in fact
    assert source.startswith("điểm 4, gạch đầu dòng thứ ba, " + LETTER)


def test_what_a_commune_cadre_does_when_people_come_is_answered_from_point_4(rasa_stack: Any) -> None:
    _, source, _ = _answer(rasa_stack, "cán bộ xã phải làm gì khi dân tới hỏi vậy")
    assert source.startswith("điểm 4, ")


@pytest.mark.parametrize(("question", "what"), [("Kết luận 43 là gì vậy bạn", "là kết luận về"),
                                                ("Nghị quyết 25 nói gì?", "là nghị quyết về")])
def test_reference_cards_say_what_the_document_is(rasa_stack: Any, question: str, what: str) -> None:
    fact, source, _ = _answer(rasa_stack, question)
    assert what in fact and "608/UBND-NCPC" in fact
    assert source.startswith("bản tóm tắt")  # still labelled as a summary
