"""Dân biết: answer a question from the documents, with the citation, or decline honestly and offer a petition."""
from __future__ import annotations

import logging
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.common import PETITION_FORM, failure, is_button_payload, latest_text, off_loop
from actions.runtime import services
from actions.understanding import Turn

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


def field_reason(text: str) -> str | None:
    """Why the petition form asks for the field a question names ("răng phải ghi xã chi rứa?"), else None: a
    question about this service, which the documents cannot answer and would only decline."""
    field = Turn(text).asks_why_field()
    return texts.FIELD_REASONS.get(field) if field else None


async def documents_answer(text: str) -> tuple[bool, str, str]:
    """(answered, reply, full passage) from knowledge/: the fact with its source, or an honest decline (no passage).
    A question about why the form asks for a field gets its reason from the catalogue instead (no passage), in the
    form and out of it. Raises when the index fails."""
    reason = field_reason(text)
    if reason is not None:
        log.info("question about a field of the petition form answered from the catalogue")
        return True, reason, ""
    answer = await off_loop(services().knowledge.ask, text)
    if answer.answered:
        log.info("question answered (%d sources)", len(answer.sources))
        return True, answer.answer, str(getattr(answer, "full_text", "") or "")
    log.info("question declined")
    return False, (answer.answer or "").strip() or texts.DECLINE_DEFAULT, ""


async def reply_to_question(dispatcher: CollectingDispatcher, text: str, *,
                            offer_petition: bool) -> list[dict[str, Any]]:
    """Answer from the documents, with the full passage one tap away ("Xem nguyên văn"), or decline (offering a
    petition when not already writing one). Returns the events that keep the passage for that button."""
    problem = question_problem(text)
    if problem:
        dispatcher.utter_message(text=problem)
        return []
    try:
        answered, reply, passage = await documents_answer(text)
    except Exception as exc:
        log.error("knowledge base failed to answer: %s", failure(exc))
        dispatcher.utter_message(text=texts.SERVICE_DOWN)
        return []
    if answered:
        buttons = [texts.SOURCE_BUTTON] if passage and offer_petition else []
        dispatcher.utter_message(text=reply, buttons=buttons)
        return [SlotSet("last_source", passage or None)]
    if not offer_petition:
        dispatcher.utter_message(text=reply)
        return []
    if "phản ánh" not in reply:  # knowledge/ usually offers the petition itself; do not say it twice
        reply = f"{reply}\n{texts.DECLINE_OFFER}"
    dispatcher.utter_message(text=reply, buttons=[texts.PETITION_BUTTON])
    return [SlotSet("last_source", None)]


class ActionShowSource(Action):
    """"Xem nguyên văn": the full passage behind the last answer, as a second message."""

    def name(self) -> str:
        return "action_show_source"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        passage = tracker.get_slot("last_source")
        dispatcher.utter_message(text=passage if isinstance(passage, str) and passage else texts.NO_SOURCE_YET)
        return []


class ActionAnswerQuestion(Action):
    """Policy questions and low-confidence messages: knowledge/ answers them or declines."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        in_petition = tracker.active_loop_name == PETITION_FORM
        # Already writing a petition: no second offer, the form asks its question next.
        return await reply_to_question(dispatcher, latest_text(tracker), offer_petition=not in_petition)
