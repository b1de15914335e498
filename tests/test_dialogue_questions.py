"""Dân biết end to end: cited answers, with and without diacritics; an honest decline with a petition offer."""
from __future__ import annotations

from typing import Any

import pytest

from tests.dialogue_helpers import Conversation, buttons, joined

pytestmark = pytest.mark.e2e

PETITION_BUTTON = {"title": "Gửi phản ánh, kiến nghị", "payload": "/file_petition"}


def _cites_the_letter(text: str) -> bool:
    return "608" in text and "Nguồn:" in text


@pytest.mark.parametrize(
    "question",
    [
        "Phong trào Dân vận khéo là gì?",
        "phong trao dan van kheo la gi",
        "Công văn 608 yêu cầu gì về đạo đức công vụ?",
        "cong van 608 yeu cau gi ve dao duc cong vu",
    ],
)
def test_policy_questions_get_an_answer_with_its_citation(rasa_stack: Any, question: str) -> None:
    conv = Conversation(rasa_stack)
    replies = conv.say(question)
    assert _cites_the_letter(joined(replies)), conv.transcript()
    assert PETITION_BUTTON not in buttons(replies)


def test_an_unanswerable_question_is_declined_with_a_petition_button(rasa_stack: Any) -> None:
    conv = Conversation(rasa_stack)
    replies = conv.say("Mức lương tối thiểu vùng năm 2025 ở Tây Ninh là bao nhiêu?")
    assert PETITION_BUTTON in buttons(replies), conv.transcript()
    assert "Theo" not in joined(replies)
    # The button starts the petition form at the consent question.
    assert "91/2025/QH15" in conv.says(PETITION_BUTTON["payload"]), conv.transcript()


@pytest.mark.parametrize(
    "question",
    [
        "Phí làm lại giấy phép lái xe bị mất là bao nhiêu?",
        "thu tuc xin cap lai so ho khau o dau",
    ],
)
def test_a_question_about_a_public_service_is_not_taken_for_a_petition(rasa_stack: Any, question: str) -> None:
    """A question that names a fee or a procedure is still a question: the documents decline it and the citizen
    chooses whether to file a petition, instead of being asked for consent out of the blue."""
    conv = Conversation(rasa_stack)
    replies = conv.say(question)
    assert "91/2025/QH15" not in joined(replies), conv.transcript()
    assert PETITION_BUTTON in buttons(replies), conv.transcript()


def test_a_question_in_the_middle_of_the_petition_is_answered_then_the_form_resumes(rasa_stack: Any) -> None:
    conv = Conversation(rasa_stack)
    assert "91/2025/QH15" in conv.says("tôi muốn gửi phản ánh"), conv.transcript()
    reply = conv.says("Phong trào Dân vận khéo là gì?")
    assert _cites_the_letter(reply), conv.transcript()
    assert "91/2025/QH15" in reply, conv.transcript()  # the consent question is asked again


def test_the_answer_states_the_fact_first_with_the_passage_one_tap_away(rasa_stack: Any) -> None:
    conv = Conversation(rasa_stack)
    replies = conv.say("công văn 608 ban hành ngày nào, ai ký?")
    answer = joined(replies)
    first_line = answer.splitlines()[0]
    assert "02/4/2019" in first_line and "Nguyễn Thanh Ngọc" in answer, conv.transcript()
    assert "NC-THONG" not in answer and "JCT" not in answer, conv.transcript()
    assert [b["title"] for b in buttons(replies)] == ["Xem nguyên văn"], conv.transcript()
    passage = conv.says("/show_source")
    assert "Nguyễn Thanh Ngọc" in passage and passage != answer, conv.transcript()
    assert "Nguyễn Thanh Ngọc" in conv.says("xem nguyên văn"), conv.transcript()
