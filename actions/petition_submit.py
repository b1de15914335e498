"""Dân bàn: store the confirmed petition (once, whatever the redeliveries) or cancel it without storing anything.

Either way the petition's personal values are then blanked in Rasa's tracker store (petitions/tracker_privacy.py):
after a cancel or an anonymous filing everything typed in the form; after a filing with consent the slot copies,
the petitions store holding the petition itself.
"""
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
from actions.understanding import Turn
from bot.throttle import RateLimiter, Window
from petitions.chat_log import valid_sender
from petitions.consent import CONSENT_TEXT_VI, ConsentRecord
from petitions.models import KIND_LABELS
from petitions.tracker_privacy import form_window_started_at, redact_form_window

log = logging.getLogger(__name__)

_STOP_MIN_CONFIDENCE = 0.9
_STOP_MAX_WORDS = 3


# Petitions one chat (and, for the web chat, one client address) may file per hour; the rest are refused politely.
_filings: RateLimiter | None = RateLimiter([Window(5, 3600.0)])


def set_filing_limit(per_hour: int) -> None:
    """Petitions filed per hour per chat and per web client address (0: no limit); set by `danvan actions`."""
    global _filings
    _filings = RateLimiter([Window(per_hour, 3600.0)]) if per_hour > 0 else None


def _filing_keys(tracker: Tracker) -> list[str]:
    """The chat, and for the web chat the (hashed) client address the web app put in the turn's metadata, so that
    opening a new browser session does not open a new allowance."""
    keys = [f"sender:{tracker.sender_id}"]
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            client = (event.get("metadata") or {}).get("client_key")
            if isinstance(client, str) and client:
                keys.append(f"client:{client[:64]}")
            break
    return keys


def consent_in_history(tracker: Tracker) -> bool:
    """Whether the tracker's own events show the consent: the latest `consent` slot event is true, and the petition
    form had been activated before it (the form's validation is the only place consent is set).

    A tracker whose slots say consent=true without that event was not built by Rasa from a citizen's yes. The rule
    does not ask for the consent to follow the *latest* activation: the form is activated again when a failed
    submission sends the citizen back to the summary, and the consent given before that still stands (a finished or
    cancelled petition resets the slot, which is a later `consent` event).
    """
    form_seen = False
    consent: Any = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "active_loop" and event.get("name") == PETITION_FORM:
            form_seen = True
        elif kind == "slot" and event.get("name") == "consent":
            consent = event.get("value") if form_seen else None
    return consent is True


def consent_record(tracker: Tracker) -> Any:
    """What the citizen agreed to (the exact text shown) and when; an anonymous petition records the refusal."""
    given = tracker.get_slot("consent") is True
    if given and not consent_in_history(tracker):
        log.warning("consent slot without a consent event in the tracker's history: filed without personal data")
        given = False
    shown = tracker.get_slot("consent_text") or CONSENT_TEXT_VI
    at = None
    if isinstance(tracker.get_slot("consent_at"), str):
        try:
            at = datetime.fromisoformat(tracker.get_slot("consent_at"))
        except ValueError:
            at = None
    return ConsentRecord(given=given, text_shown=shown, at=at or datetime.now(UTC))


async def forget_form(tracker: Tracker, *, everything: bool) -> bool:
    """Blank the petition form's personal values in the tracker store; False (logged) when that failed.

    Never raises: the citizen's turn must not fail because of it. The log line names no sender and no value.
    """
    try:
        url = services().tracker_url
        since = await off_loop(form_window_started_at, url, tracker.sender_id) if url and everything else None
        changed = await off_loop(redact_form_window, url, tracker.sender_id, everything=everything) if url else 0
        if since is not None and valid_sender(tracker.sender_id):  # the web chat shows the history again
            lines = await off_loop(services().chat_log.redact_since, tracker.sender_id, since)
            log.info("web chat history: %d line(s) of a petition form redacted", lines)
    except Exception as exc:
        log.error("redacting the petition form in the tracker store failed: %s", failure(exc))
        return False
    log.info("tracker store: %d event(s) of a petition form redacted (%s)", changed,
             "everything" if everything else "slots")
    return True


def _named_kind(tracker: Tracker) -> str | None:
    """The kind the citizen named when starting ("tôi muốn tố cáo…"); None lets petitions/ read it from the matter."""
    kind = tracker.get_slot("petition_kind")
    return kind if kind in KIND_LABELS else None


class ActionSubmitPetition(Action):
    """Runs when petition_form completes; submits only what the citizen explicitly confirmed."""

    def name(self) -> str:
        return "action_submit_petition"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("confirmed") != "yes":
            # The form ended without a confirmation: "hủy" typed where free text was asked (the validator has
            # already said so); nothing is filed, so nothing typed in the form is kept either.
            await forget_form(tracker, everything=True)
            return reset_petition_slots()
        keys = _filing_keys(tracker)
        if _filings is not None and not all(_filings.allows(key) for key in keys):
            log.warning("petition refused: filing limit reached for this chat or client")
            await forget_form(tracker, everything=True)
            dispatcher.utter_message(text=texts.FILING_LIMIT)
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
                kind=_named_kind(tracker),
            )
        except Exception as exc:
            log.error("storing a petition failed: %s", failure(exc))
            dispatcher.utter_message(text=texts.SUBMIT_FAILED)
            return [SlotSet("confirmed", None), FollowupAction(PETITION_FORM)]
        log.info("petition %s %s", receipt.code, "stored" if receipt.created else "already stored (redelivery)")
        if receipt.created and _filings is not None:
            for key in keys:
                _filings.record(key)
        # Filed with consent: the handling agency reads this conversation in the console, so only the slot copies
        # go. Filed anonymously: the petition keeps no link to the chat, so neither does the tracker store.
        await forget_form(tracker, everything=not consent.given)
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
        sure = is_cancel_phrase(text) or Turn(text).cancels or (
            intent == "stop" and confidence >= _STOP_MIN_CONFIDENCE and len(text.split()) <= _STOP_MAX_WORDS
        )
        if not sure and tracker.active_loop_name == PETITION_FORM:
            dispatcher.utter_message(response="utter_please_answer")
            return [FollowupAction(PETITION_FORM)]
        await forget_form(tracker, everything=True)
        dispatcher.utter_message(text=texts.CANCELLED)
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_petition_slots()]
