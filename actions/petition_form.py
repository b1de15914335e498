"""Dân bàn: the petition form's validation and its custom questions (consent, matter, summary).

The checks themselves (what a valid matter, phone or commune is; what counts as an explicit "yes") live in
petitions/; this module only maps the citizen's latest message onto slots and shows petitions/' Vietnamese messages.
"""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.common import (
    FREE_TEXT_SLOTS,
    NO_PHONE,
    PHONE_IN_TEXT,
    failure,
    is_button_payload,
    is_cancel_phrase,
    latest_intent,
    latest_text,
    off_loop,
    reset_petition_slots,
)
from actions.runtime import services
from nlp.text import fold
from petitions.consent import CONSENT_TEXT_VI, parse_consent
from petitions.validation import MAX_MATTER, InputError

log = logging.getLogger(__name__)

# An explicit "yes" typed in words (not a button) must be recognised by NLU this surely, and say "đồng ý".
_TYPED_CONSENT_MIN_CONFIDENCE = 0.8
# A first message this long is a description of the matter, not just "tôi muốn gửi phản ánh".
_DRAFT_MIN_WORDS = 10
# "ok" / "không" to the offered draft; anything longer is a newly typed matter, whatever its intent.
_SHORT_ANSWER_WORDS = 4
_NEVER_MIND = {"thoi", "khong", "ko", "k", "thoi khoi", "khong sua", "khong sua nua", "thoi khong sua nua",
               "khong can", "khong can sua", "giu nguyen", "/deny"}
_EDIT_FIELDS = (
    ("matter", ("noi dung", "van de", "su viec", "phan anh")),
    ("phone", ("so dien thoai", "dien thoai", "sdt", "so dt", "so")),
    ("commune", ("xa", "phuong", "dia ban", "dia chi", "noi xay ra")),
)


def _petitions() -> Any:
    return services().petitions


def explicit_consent(tracker: Tracker) -> bool | None:
    """True only for an explicit yes (button, or words petitions/ recognises); False for no/anonymous; else None."""
    text = latest_text(tracker).strip()
    intent, confidence = latest_intent(tracker)
    if is_button_payload(text):
        return {"affirm": True, "deny": False, "anonymous": False}.get(intent)
    parsed = parse_consent(text)
    if parsed is not None:
        return parsed
    if intent == "anonymous":
        return False
    folded = fold(text)
    if intent == "affirm" and confidence >= _TYPED_CONSENT_MIN_CONFIDENCE and "dong y" in folded:
        return True
    if intent == "deny" and confidence >= _TYPED_CONSENT_MIN_CONFIDENCE:
        return False
    return None


def phone_answer(text: str, intent: str) -> tuple[str | None, str | None]:
    """(normalised phone, or NO_PHONE when the citizen leaves none; None) or (None, Vietnamese message)."""
    check = _petitions().check_phone
    if intent == "anonymous" or text.strip() == "/anonymous":
        return NO_PHONE, None
    try:
        return check(text) or NO_PHONE, None
    except InputError as exc:
        problem = exc
    if problem.reason == "bad-phone":  # "số tôi là 0912 345 678 nhé": look for the number inside the sentence
        for match in PHONE_IN_TEXT.finditer(text):
            try:
                return check(match.group(0)) or NO_PHONE, None
            except InputError:
                continue
    return None, problem.message


def edit_target(text: str) -> str | None:
    """Which field the citizen wants to change: "matter", "commune" or "phone"."""
    folded = fold(text)
    words = f" {re.sub(r'[^a-z0-9 ]', ' ', folded)} "
    for field, keys in _EDIT_FIELDS:
        if any(f" {key} " in words for key in keys):
            return field
    return None


def _never_mind(text: str) -> bool:
    words = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(text)).split())
    return words in _NEVER_MIND


def _is_activation(tracker: Tracker) -> bool:
    """The form was just started by a petition request (not re-activated after an interruption or a failure)."""
    intent, _ = latest_intent(tracker)
    return intent == "file_petition" and tracker.get_slot("requested_slot") is None and not tracker.get_slot("matter")


def _draft_events(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Keep a substantial first message as a draft matter; say so at once when it is far too long to use."""
    text = latest_text(tracker)
    if len(text.split()) < _DRAFT_MIN_WORDS or is_button_payload(text):
        return []
    if len(text) > MAX_MATTER:
        dispatcher.utter_message(text=texts.MATTER_DRAFT_TOO_LONG)
        return []
    try:
        return [SlotSet("matter_draft", _petitions().check_matter(text))]
    except InputError:
        return []


class ValidationPetitionForm(FormValidationAction):
    """Validates each answer of petition_form and decides which questions are still needed."""

    def name(self) -> str:
        return "validate_petition_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        requested = tracker.get_slot("requested_slot")
        if requested == "edit_field" and _never_mind(text):
            # "thôi" to "which field?" means "nothing to change": back to the summary, not the end of the petition.
            return [SlotSet("edit_field", None), SlotSet("editing", False), SlotSet("requested_slot", "confirmed")]
        if requested in FREE_TEXT_SLOTS and is_cancel_phrase(text):
            # "hủy" typed where free text is expected: end the form here; nothing has been stored.
            dispatcher.utter_message(text=texts.CANCELLED)
            return [*reset_petition_slots(), SlotSet("requested_slot", None)]
        draft_events = _draft_events(dispatcher, tracker) if _is_activation(tracker) else []
        return draft_events + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # "Which field?" comes first while editing; listing it first also keeps this list different from the
        # domain's, so this action (not Rasa's default order) always names the next question.
        slots = ["edit_field"] if tracker.get_slot("editing") else []
        slots += ["consent", "matter", "commune"]
        if tracker.get_slot("consent") is not False:  # an anonymous petition carries no contact data
            slots.append("phone")
        slots.append("confirmed")
        return slots

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "consent":
            return {"consent": value}  # decided earlier; the form re-checks prefilled slots when it re-activates
        decided = explicit_consent(tracker)
        if decided is True:
            return {"consent": True, "consent_at": datetime.now(UTC).isoformat()}
        if decided is False:
            dispatcher.utter_message(text=texts.CONSENT_DECLINED)
            return {"consent": False, "consent_at": None, "phone": None}
        dispatcher.utter_message(text=texts.CONSENT_UNCLEAR)
        return {"consent": None}

    def validate_matter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        draft = tracker.get_slot("matter_draft")
        text = latest_text(tracker)
        short_answer = is_button_payload(text) or len(text.split()) <= _SHORT_ANSWER_WORDS
        if draft and short_answer and tracker.get_slot("requested_slot") == "matter":
            intent, _ = latest_intent(tracker)
            if intent == "affirm":
                return {"matter": draft, "matter_draft": None}
            if intent == "deny":
                return {"matter": None, "matter_draft": None}  # asked again, now without the draft
        try:
            return {"matter": _petitions().check_matter(value if isinstance(value, str) else ""), "matter_draft": None}
        except InputError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"matter": None}

    async def validate_commune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            match = await off_loop(_petitions().check_commune, value if isinstance(value, str) else "")
        except InputError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"commune": None, "commune_code": None}
        if match.matched:
            return {"commune": match.full_name, "commune_code": match.code}
        if tracker.get_slot("requested_slot") == "commune":  # not again when the form re-checks a prefilled slot
            note = texts.COMMUNE_UNMATCHED.format(typed=match.name)
            if match.candidates:
                note += texts.COMMUNE_CANDIDATES.format(candidates=", ".join(match.candidates))
            dispatcher.utter_message(text=note)
        return {"commune": match.name, "commune_code": None}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NO_PHONE:
            return {"phone": NO_PHONE}
        intent, _ = latest_intent(tracker)
        phone, problem = phone_answer(value if isinstance(value, str) else "", intent)
        if problem:
            dispatcher.utter_message(text=problem)
        return {"phone": phone}

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes":
            return {"confirmed": "yes"}
        if value == "edit":
            return {"confirmed": None, "editing": True, "edit_field": None}
        return {"confirmed": None}

    def validate_edit_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        field = edit_target(value if isinstance(value, str) else "")
        if field is None:
            dispatcher.utter_message(text=texts.EDIT_FIELD_UNCLEAR)
            return {"edit_field": None}
        reset: dict[str, Any] = {"edit_field": None, "editing": False, "confirmed": None, field: None}
        if field == "commune":
            reset["commune_code"] = None
        if field == "phone" and tracker.get_slot("consent") is not True:
            dispatcher.utter_message(text=texts.CONSENT_NEEDED_FOR_PHONE)
            reset.update(consent=None, consent_at=None)
        return reset


class ActionAskConsent(Action):
    """Shows the consent text (Luật 91/2025/QH15) and records exactly what was shown."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=CONSENT_TEXT_VI, buttons=texts.CONSENT_BUTTONS)
        return [SlotSet("consent_text", CONSENT_TEXT_VI)]


class ActionAskMatter(Action):
    """Asks for the matter, offering back the description the citizen already sent when there is one."""

    def name(self) -> str:
        return "action_ask_matter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        draft = tracker.get_slot("matter_draft")
        if not draft:
            dispatcher.utter_message(response="utter_ask_matter")
            return []
        if len(draft) > texts.MATTER_PREVIEW_CHARS:
            draft = draft[: texts.MATTER_PREVIEW_CHARS].rstrip() + "…"
        dispatcher.utter_message(text=texts.MATTER_DRAFT_QUESTION.format(draft=draft), buttons=texts.MATTER_DRAFT_BUTTONS)
        return []


def summary_text(slots: dict[str, Any], draft: Any) -> str:
    """petitions/' summary of the draft (with the agency it will go to), plus what the citizen should check."""
    phone = slots.get("phone")
    lines = [draft.summary_vi(phone if slots.get("consent") is True and phone not in (None, NO_PHONE) else None)]
    if slots.get("commune") and not slots.get("commune_code"):
        lines.append(texts.COMMUNE_FLAGGED.format(commune=slots["commune"]))
    lines.append(texts.SUMMARY_CHOICES)
    return "\n".join(lines)


class ActionAskConfirmed(Action):
    """The summary before submitting: what will be sent, and to which agency."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = {name: tracker.get_slot(name) for name in ("consent", "matter", "commune", "commune_code", "phone")}
        try:
            draft = await off_loop(_petitions().preview, slots["matter"] or "", slots["commune"] or None)
        except Exception as exc:
            log.error("routing preview failed: %s", failure(exc))
            dispatcher.utter_message(text=texts.SERVICE_DOWN)
            return []
        dispatcher.utter_message(text=summary_text(slots, draft), buttons=texts.SUMMARY_BUTTONS)
        return []
