"""A message outside the petition form whose intent the NLU is unsure of, or often wrong about: read it, then act.

The NLU's intent is one signal among several. What the message itself shows wins where it is unambiguous: a tracking
code means a status lookup; a complaint told in everyday words ("tui muốn khiếu nại cái cô cán bộ…") starts the
petition with its text kept; English gets an English pointer; a short goodbye is a goodbye. Everything else is a
question for the documents, answered with its source or declined with a petition offered.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.common import PETITION_FORM, failure, latest_intent, latest_text, off_loop
from actions.questions import MAX_QUESTION_CHARS, ActionShowSource, reply_to_question
from actions.rating import reply_to_rating
from actions.runtime import services
from actions.status import code_from_message, phone_from_message, reply_with_my_petitions, reply_with_status
from actions.understanding import Turn, read_rating

log = logging.getLogger(__name__)


# Intents sent here only because the message may rate an answer (data/rules.yml: thanks and goodbyes always, a new
# matter while `rating_due`): what they get when it is no rating after all.
_RATING_RULE_INTENTS = {"thanks": "utter_thanks", "goodbye": "utter_goodbye", "file_petition": ""}

# A short "ok", "không" or "hủy" with nothing to answer or cancel: the response that says so.
_SHORT_REPLIES = {"affirm": "anything_else", "deny": "anything_else", "stop": "nothing_to_cancel"}


def read_outside_form(text: str, intent: str) -> str:
    """What to do with a message outside the form: status, mine, petition, english, goodbye, iamabot, help,
    out_of_scope or question (the name of the response or branch that handles it)."""
    turn = Turn(text)
    if turn.says_goodbye:
        return "goodbye"
    if turn.is_english:
        return "english"
    if turn.asks_source:
        return "source"
    if turn.asks_help and not turn.names_document:
        return "help"
    if turn.asks_about_bot and not turn.names_document:
        return "iamabot"
    if len(text.strip()) > MAX_QUESTION_CHARS:
        return "petition"
    if turn.asks_own_petitions:
        return "mine"
    if turn.asks_status and turn.is_question:  # "làm sao tra cứu phản ánh đã gửi?" is no new petition
        return "status"
    if turn.reads_as_petition:
        return "petition"
    if turn.asks_status:
        return "status"
    if (turn.asks_help or (intent == "help" and len(turn.words) <= 3)) and not turn.names_document:
        return "help"
    if intent == "out_of_scope" and not turn.names_document:
        return "out_of_scope"
    if intent == "greet" and not turn.names_document:  # "chào ad, ad khỏe hông", "alo có ai hông"
        return "greet"
    if intent in _SHORT_REPLIES and len(turn.words) <= 6 and not turn.asks_outright:
        return _SHORT_REPLIES[intent]
    return "question"


async def _reply_to_stray_score(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """"5", "4 sao" when no answer awaits a rating: say so, then the citizen's petitions, or what the assistant does
    when there are none (a score is no question for the documents)."""
    dispatcher.utter_message(text=texts.RATING_NOTHING_DUE)
    try:
        filed = await off_loop(services().petitions.mine, tracker.sender_id, limit=1)
    except Exception as exc:
        log.error("listing a citizen's petitions after a stray score failed: %s", failure(exc))
        filed = []
    if filed:
        return await reply_with_my_petitions(dispatcher, tracker)
    dispatcher.utter_message(response="utter_help")
    return []


class ActionReadMessage(Action):
    """Outside the form: status lookups, petitions told in everyday words, English, and questions."""

    def name(self) -> str:
        return "action_read_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        rated, due = await reply_to_rating(dispatcher, tracker)  # a reply to "đã giải quyết chưa?" comes first
        if rated is not None:
            return rated
        intent, _ = latest_intent(tracker)
        if intent in _RATING_RULE_INTENTS:  # sent here by a rule only because an answer awaited a rating
            if intent == "file_petition":
                return [*due, FollowupAction(PETITION_FORM)]
            dispatcher.utter_message(response=_RATING_RULE_INTENTS[intent])
            return due
        return [*due, *await self._read(dispatcher, tracker, domain)]

    async def _read(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        code, typed = code_from_message(tracker)
        if code or typed:
            return await reply_with_status(dispatcher, tracker)
        earlier = tracker.get_slot("status_code")
        if earlier and phone_from_message(text):  # the phone the bot asked for after "not found"
            return await reply_with_status(dispatcher, tracker, code=earlier)
        rating = read_rating(text)
        if rating is not None and rating.score is not None:  # "5" with no answer to rate (that was read first)
            return await _reply_to_stray_score(dispatcher, tracker)
        reading = read_outside_form(text, intent)
        log.info("message outside the form read as %s (intent %s)", reading, intent or "none")
        if reading == "petition":
            return [FollowupAction(PETITION_FORM)]
        if reading == "status":
            return await reply_with_status(dispatcher, tracker)
        if reading == "mine":
            return await reply_with_my_petitions(dispatcher, tracker)
        if reading == "english":
            dispatcher.utter_message(text=texts.ENGLISH_POINTER, buttons=texts.MAIN_BUTTONS)
            return []
        if reading in ("goodbye", "help", "out_of_scope", "iamabot", "anything_else", "nothing_to_cancel", "greet"):
            dispatcher.utter_message(response=f"utter_{reading}")
            return []
        if reading == "source":
            return await ActionShowSource().run(dispatcher, tracker, domain)
        return await reply_to_question(dispatcher, text, offer_petition=True)
