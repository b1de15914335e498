"""Dân bàn: store the confirmed petition (once, whatever the redeliveries) or cancel it without storing anything."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.common import (
    NO_PHONE,
    PETITION_FORM,
    channel_name,
    failure,
    idempotency_key,
    is_cancel_phrase,
    latest_intent,
    latest_text,
    off_loop,
    reset_petition_slots,
)
from actions.runtime import services
from petitions.consent import CONSENT_TEXT_VI, ConsentRecord

log = logging.getLogger(__name__)

_STOP_MIN_CONFIDENCE = 0.9
_STOP_MAX_WORDS = 3


def consent_record(tracker: Tracker) -> Any:
    """What the citizen agreed to (the exact text shown) and when; an anonymous petition records the refusal."""
    given = tracker.get_slot("consent") is True
    shown = tracker.get_slot("consent_text") or CONSENT_TEXT_VI
    at = None
    if isinstance(tracker.get_slot("consent_at"), str):
        try:
            at = datetime.fromisoformat(tracker.get_slot("consent_at"))
        except ValueError:
            at = None
    return ConsentRecord(given=given, text_shown=shown, at=at or datetime.now(UTC))


class ActionSubmitPetition(Action):
    """Runs when petition_form completes; submits only what the citizen explicitly confirmed."""

    def name(self) -> str:
        return "action_submit_petition"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("confirmed") != "yes":
            return reset_petition_slots()
        consent = consent_record(tracker)
        phone = tracker.get_slot("phone")
        try:
            receipt = await off_loop(
                services().petitions.submit,
                channel=channel_name(tracker),
                sender_id=tracker.sender_id,
                text=tracker.get_slot("matter") or "",
                consent=consent,
                idempotency_key=idempotency_key(tracker),
                commune=tracker.get_slot("commune") or None,
                phone=phone if consent.given and phone not in (None, NO_PHONE) else None,
            )
        except Exception as exc:
            log.error("storing a petition failed: %s", failure(exc))
            dispatcher.utter_message(text=texts.SUBMIT_FAILED)
            return [SlotSet("confirmed", None), FollowupAction(PETITION_FORM)]
        log.info("petition %s %s", receipt.code, "stored" if receipt.created else "already stored (redelivery)")
        dispatcher.utter_message(text=receipt.message_vi())
        return reset_petition_slots()


class ActionCancelPetition(Action):
    """"Hủy" at any step: leave the form and forget everything typed so far.

    The NLU's "stop" is trusted only for short messages: a sentence it mistakes for "stop" (a complaint about a
    "cống thoát nước") must not throw the citizen's petition away, so the form simply asks its question again.
    """

    def name(self) -> str:
        return "action_cancel_petition"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        sure = is_cancel_phrase(text) or (
            intent == "stop" and confidence >= _STOP_MIN_CONFIDENCE and len(text.split()) <= _STOP_MAX_WORDS
        )
        if not sure and tracker.active_loop_name == PETITION_FORM:
            dispatcher.utter_message(response="utter_please_answer")
            return [FollowupAction(PETITION_FORM)]
        dispatcher.utter_message(text=texts.CANCELLED)
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_petition_slots()]
