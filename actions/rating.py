"""Dân giám sát: the citizen's reply to "did this answer resolve your matter?", on whatever channel it comes.

The question ends the notice that delivers an operator's answer (sent outside Rasa), so the dialogue cannot know it
was asked: a reply is recognised here, from the store (this chat owns an answered petition it has not rated, answered
recently) and from the words (actions/understanding.py `read_rating`), and only when no form is active, so a "có" or
"chưa" answering the petition form is never taken for a rating. A bare "ok cảm ơn" or "không" rates only as the
citizen's first message after a recent answer: anywhere else it thanks for, or answers, something else. A "not
resolved" reopens the petition to the same agency; without a reason the citizen is asked for one, once. With several
answers waiting, the citizen picks one.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.common import failure, latest_text, off_loop
from actions.runtime import services
from actions.understanding import RatingReading, Turn, load_lexicon, read_rating
from petitions.codes import find_code
from petitions.vn_time import aware

log = logging.getLogger(__name__)

# Featurized: a rule sends a new matter to action_read_message while it is true (thanks and goodbyes always go
# there). Set at session start and when a reply finds an answer waiting; never lowered within a session (see below).
DUE_SLOT = "rating_due"
# The petition whose "chưa giải quyết" came without a reason, asked once.
REASON_SLOT = "rating_reason_for"
# A reading waiting for the citizen to pick which of several answered petitions it is about (JSON).
READING_SLOT = "rating_reading"


def _window_days() -> float:
    return load_lexicon().number("rating_window_days")


async def _awaiting(tracker: Tracker) -> list[Any]:
    return await off_loop(services().petitions.awaiting_rating, tracker.sender_id, window_days=_window_days())


def _previous_bot_text(tracker: Tracker) -> str:
    """What the bot said just before the citizen's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return ""
            seen_user = True
        elif kind == "bot" and seen_user:
            return str(event.get("text") or "")
    return ""


def _previous_user_time(tracker: Tracker) -> float | None:
    """When the citizen last wrote before the latest message (epoch seconds), None when never. The "/session_start"
    a returning channel sends is no message of theirs."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not seen_user:
            seen_user = True
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "session_start" or str(event.get("text") or "").startswith("/session_start"):
            continue
        stamp = event.get("timestamp")
        return float(stamp) if isinstance(stamp, int | float) else None
    return None


def _answered_just_before(waiting: list[Any], tracker: Tracker) -> list[Any]:
    """The answers a bare "ok cảm ơn" or "không" can be about: delivered after the citizen last wrote (so this
    message is the first one since the notice) and within `rating_bare_window_hours`. Where the delivery time is not
    known (a channel that records no delivery), the answer's time stands for it."""
    now = datetime.now(UTC)
    window = timedelta(hours=load_lexicon().number("rating_bare_window_hours"))
    last = _previous_user_time(tracker)
    fresh = []
    for view in waiting:
        answered = aware(view.delivered_at or view.answered_at)
        if answered is None or now - answered > window:
            continue
        if last is None or answered.timestamp() > last:
            fresh.append(view)
    return fresh


def _reading_from_slot(tracker: Tracker) -> RatingReading | None:
    raw = tracker.get_slot(READING_SLOT)
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
        return RatingReading(str(data["verdict"]), data.get("score"), data.get("reason")) if data else None
    except (ValueError, KeyError, TypeError):
        return None


async def reply_to_rating(dispatcher: CollectingDispatcher, tracker: Tracker) -> tuple[list[dict[str, Any]] | None,
                                                                                       list[dict[str, Any]]]:
    """(events, None) when this turn rated an answer (or asked about it); (None, slot events) when it is no rating,
    the slot events keeping `rating_due` in step with the store."""
    if tracker.active_loop_name:
        return None, []
    text = latest_text(tracker)
    asked = tracker.get_slot(REASON_SLOT)
    if isinstance(asked, str) and asked and _previous_bot_text(tracker) == texts.RATING_ASK_REASON.format(code=asked):
        if Turn(text).cancels:
            dispatcher.utter_message(text=texts.RATING_DROPPED)
            return [SlotSet(REASON_SLOT, None)], []
        reason = text.strip() or None
        return await _record(dispatcher, tracker, asked, RatingReading("unresolved", None, reason)), []
    try:
        waiting = await _awaiting(tracker)
    except Exception as exc:
        log.error("looking up answers awaiting a rating failed: %s", failure(exc))
        return None, []
    # Only ever raised within a session: a rule that fired because it was true must still match after this action.
    due = [SlotSet(DUE_SLOT, True)] if waiting and tracker.get_slot(DUE_SLOT) is not True else []
    if not waiting:
        return None, due
    chosen = find_code(text)
    stored = _reading_from_slot(tracker)
    if stored is not None and chosen is not None and chosen in {v.code for v in waiting}:
        return await _record(dispatcher, tracker, chosen, stored), []
    reading = read_rating(text)
    if reading is not None and reading.bare:
        waiting = _answered_just_before(waiting, tracker)  # elsewhere "cảm ơn" thanks and "không" answers the bot
        if not waiting:
            log.info("a bare reply that does not follow an answer: no rating")
    if reading is None or not waiting:
        return None, due
    if len(waiting) > 1:
        dispatcher.utter_message(
            text=texts.RATING_WHICH.format(count=len(waiting)),
            buttons=[{"title": view.code, "payload": view.code} for view in waiting],
        )
        payload = json.dumps({"verdict": reading.verdict, "score": reading.score, "reason": reading.reason})
        return [SlotSet(READING_SLOT, payload), SlotSet(DUE_SLOT, True)], []
    return await _record(dispatcher, tracker, waiting[0].code, reading), []


async def _record(dispatcher: CollectingDispatcher, tracker: Tracker, code: str,
                  reading: RatingReading) -> list[dict[str, Any]]:
    """Store the verdict (reopening when unresolved) and tell the citizen what happened."""
    if reading.needs_reason:
        dispatcher.utter_message(text=texts.RATING_ASK_REASON.format(code=code))
        return [SlotSet(REASON_SLOT, code), SlotSet(READING_SLOT, None), SlotSet(DUE_SLOT, True)]
    cleared = [SlotSet(REASON_SLOT, None), SlotSet(READING_SLOT, None)]
    try:
        view = await off_loop(services().petitions.rate, code, tracker.sender_id, verdict=reading.verdict,
                              score=reading.score, reason=reading.reason)
    except Exception as exc:
        log.error("recording a rating failed: %s", failure(exc))
        dispatcher.utter_message(text=texts.RATING_FAILED)
        return cleared
    log.info("answer of petition %s rated %s", code, reading.verdict)
    if reading.verdict == "unresolved":
        message = texts.RATING_REOPENED.format(code=code, agency=view.agency_display)
        if reading.reason:
            message += "\n" + texts.RATING_REOPENED_REASON.format(reason=reading.reason)
    elif reading.verdict == "resolved":
        message = texts.RATING_RESOLVED.format(code=code)
    else:
        message = texts.RATING_NEUTRAL.format(code=code, score=reading.score)
    dispatcher.utter_message(text=message)
    return cleared  # `rating_due` stays as it is: a stale true only sends a thanks through the reader, harmlessly


class ActionSessionStart(Action):
    """A new session (the citizen comes back, typically days after the answer): note whether an answer awaits a
    rating, so that even a "ok cảm ơn" or a goodbye reaches the rating reader. Nothing is carried over."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SessionStarted()]
        try:
            if await _awaiting(tracker):
                events.append(SlotSet(DUE_SLOT, True))
        except Exception as exc:  # a session must start even when the store is unreachable
            log.error("looking up answers awaiting a rating at session start failed: %s", failure(exc))
        events.append(ActionExecuted("action_listen"))
        return events
