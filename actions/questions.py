"""Dân biết: answer a question from the documents, with the citation, or decline honestly and offer a petition."""
from __future__ import annotations

import logging
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.common import PETITION_FORM, failure, is_button_payload, latest_text, off_loop
from actions.runtime import services

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000


def question_problem(text: str) -> str | None:
    """A Vietnamese reply for a message that cannot be a question (empty, huge, no letters, broken), else None."""
    stripped = text.strip()
    if not stripped or is_button_payload(stripped):
        return texts.QUESTION_EMPTY
    if len(stripped) > MAX_QUESTION_CHARS:
        return texts.QUESTION_TOO_LONG.format(limit=f"{MAX_QUESTION_CHARS:,}".replace(",", "."))
    if "\ufffd" in stripped or any(0xD800 <= ord(ch) <= 0xDFFF for ch in stripped):
        return texts.QUESTION_BROKEN
    if not any(unicodedata.category(ch).startswith("L") for ch in stripped):
        return texts.QUESTION_NO_WORDS
    return None


class ActionAnswerQuestion(Action):
    """Policy questions and low-confidence messages: knowledge/ answers them or declines."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        in_petition = tracker.active_loop_name == PETITION_FORM
        problem = question_problem(text)
        if problem:
            dispatcher.utter_message(text=problem)
            return []
        try:
            answer = await off_loop(services().knowledge.ask, text)
        except Exception as exc:
            log.error("knowledge base failed to answer: %s", failure(exc))
            dispatcher.utter_message(text=texts.SERVICE_DOWN)
            return []
        if answer.answered:
            log.info("question answered (%d sources)", len(answer.sources))
            dispatcher.utter_message(text=answer.answer)
            return []
        log.info("question declined")
        decline = (answer.answer or "").strip() or texts.DECLINE_DEFAULT
        if in_petition:  # already writing a petition: no second offer, the form asks its question next
            dispatcher.utter_message(text=decline)
        else:
            if "phản ánh" not in decline:  # knowledge/ usually offers the petition itself; do not say it twice
                decline = f"{decline}\n{texts.DECLINE_OFFER}"
            dispatcher.utter_message(text=decline, buttons=[texts.PETITION_BUTTON])
        return []
