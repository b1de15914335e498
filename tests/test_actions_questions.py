"""action_answer_question in process: cited answers, honest declines with a petition offer, odd messages."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.questions import ActionAnswerQuestion
from tests.fixtures_dialogue import action_services, domain_dict, make_tracker, texts_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("action_services")

PETITION_BUTTON = {"title": "Gửi phản ánh, kiến nghị", "payload": "/file_petition"}


async def answer(domain: dict, text: str, intent: str = "ask_policy",
                 active_loop: str | None = None) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    await ActionAnswerQuestion().run(dispatcher, make_tracker(text, intent=intent, active_loop=active_loop), domain)
    return dispatcher


@pytest.mark.parametrize("question", ["Phong trào Dân vận khéo là gì?", "phong trao dan van kheo la gi"])
async def test_a_policy_question_is_answered_with_its_source(domain_dict: dict, question: str) -> None:
    dispatcher = await answer(domain_dict, question)
    text = texts_of(dispatcher)
    assert "Dân vận khéo" in text and "608" in text
    # The only button shows the quoted passage; no petition is offered for an answered question.
    assert [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []] == ["Xem nguyên văn"]


async def test_an_unanswerable_question_is_declined_with_a_petition_button(domain_dict: dict) -> None:
    dispatcher = await answer(domain_dict, "Giá phân bón vụ đông xuân năm nay là bao nhiêu một bao?", "nlu_fallback")
    assert PETITION_BUTTON in dispatcher.messages[-1]["buttons"]
    assert "phản ánh" in texts_of(dispatcher)


async def test_inside_the_petition_form_a_decline_does_not_offer_a_second_petition(domain_dict: dict) -> None:
    dispatcher = await answer(domain_dict, "Giá phân bón vụ đông xuân năm nay là bao nhiêu một bao?",
                              active_loop="petition_form")
    assert texts_of(dispatcher) and not any(m.get("buttons") for m in dispatcher.messages)


@pytest.mark.parametrize(
    "text, expected",
    [("", "chưa nhập"), ("   ", "chưa nhập"), ("😀😀😀", "chỉ đọc được chữ"), ("dân vận " * 2000, "dài quá"),
     ("xin \udcff chào", "không đọc được")],
)
async def test_odd_messages_get_a_vietnamese_explanation(domain_dict: dict, text: str, expected: str) -> None:
    dispatcher = await answer(domain_dict, text, "nlu_fallback")
    assert expected in texts_of(dispatcher)
