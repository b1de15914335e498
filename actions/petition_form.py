"""Dân bàn: the petition form's validation and its custom questions (consent, matter, summary).

The checks themselves (what a valid matter, phone or commune is; what counts as an explicit "yes") live in
petitions/; this module only maps the citizen's latest message onto slots and shows petitions/' Vietnamese messages.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
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
from actions.questions import documents_answer, question_problem
from actions.runtime import PetitionDesk, services
from actions.understanding import (
    ConsentReading,
    Turn,
    commune_mentions,
    load_lexicon,
    read_consent,
    read_draft_answer,
)
from nlp.text import fold
from petitions.communes import CommuneMatch
from petitions.consent import CONSENT_TEXT_VI
from petitions.models import DEFAULT_KIND, KIND_LABELS
from petitions.service import classify_kind
from petitions.validation import MAX_MATTER, InputError, wants_no_phone

log = logging.getLogger(__name__)

# What the citizen agrees to: the short prompt, and the legal text its "Xem chi tiết" button shows.
CONSENT_RECORD_TEXT = f"{texts.CONSENT_PROMPT}\n[Xem chi tiết] {CONSENT_TEXT_VI}"
# A first message this long is a description of the matter, not just "tôi muốn gửi phản ánh".
_DRAFT_MIN_WORDS = 10
_NEVER_MIND = {"thoi", "khong", "ko", "k", "thoi khoi", "khong sua", "khong sua nua", "thoi khong sua nua",
               "khong can", "khong can sua", "giu nguyen", "/deny"}
_EDIT_FIELDS = (
    ("matter", ("noi dung", "van de", "su viec", "phan anh")),
    ("phone", ("so dien thoai", "dien thoai", "sdt", "so dt", "so")),
    ("commune", ("xa", "phuong", "dia ban", "dia chi", "noi xay ra")),
)


def _petitions() -> PetitionDesk:
    return services().petitions


def consent_events(reading: ConsentReading) -> dict[str, Any]:
    """Slots for a consent answer that settles the step; {} when the step must be asked again."""
    if reading is ConsentReading.AGREE:
        return {"consent": True, "consent_at": datetime.now(UTC).isoformat(), "consent_text": CONSENT_RECORD_TEXT,
                "consent_prompt": None}
    if reading is ConsentReading.ANONYMOUS:
        return {"consent": False, "consent_at": None, "phone": None, "consent_prompt": None}
    return {}


def phone_answer(text: str, intent: str) -> tuple[str | None, str | None]:
    """(normalised phone, or NO_PHONE when the citizen leaves none; None) or (None, Vietnamese message)."""
    check = _petitions().check_phone
    if intent == "anonymous" or text.strip() == "/anonymous" or wants_no_phone(text):
        return NO_PHONE, None
    if not any(ch.isdigit() for ch in text) and Turn(text).skips_phone:
        return NO_PHONE, None
    turn = Turn(text)
    if not any(ch.isdigit() for ch in text) and turn.negated and not turn.asks_outright:  # "ko có sđt"
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


def phone_in_text(text: str) -> str | None:
    """The last valid phone number written inside a longer answer ("phường Thanh Điền, sđt 0903 112 233")."""
    found = None
    for match in PHONE_IN_TEXT.finditer(text):
        try:
            found = _petitions().check_phone(match.group(0)) or found
        except InputError:
            continue
    return found


def named_commune(text: str) -> CommuneMatch | None:
    """A commune named with its prefix and its exact directory name ("… ở xã Tân Phú, số mình …"); never a guess."""
    for prefix, name in commune_mentions(text):
        try:
            match = _petitions().check_commune(f"{prefix} {name}")
        except InputError:
            continue
        if match.matched and fold(match.name) == fold(name):
            return match
    return None


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
    """The form was just started (by a petition request or a message read as one), not re-activated after an
    interruption or a failure."""
    return (tracker.get_slot("requested_slot") is None and not tracker.get_slot("matter")
            and tracker.get_slot("consent") is None and not tracker.get_slot("editing"))


def _kind_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The kind the citizen named when starting ("tôi muốn tố cáo…"): it decides the legal deadline."""
    kind = classify_kind(latest_text(tracker))
    return [SlotSet("petition_kind", kind)] if kind != DEFAULT_KIND else []


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
        # "hủy" where free text is expected; at the summary only the unambiguous phrases ("dung gui" may be
        # "đúng, gửi" as well as "dừng gửi" once diacritics are gone).
        turn = Turn(text)
        # Not a stop: "đúng rồi" / "dùng đi" typed with diacritics (folded, they read "dừng"), and at the phone question
        # a bare "khỏi" (no phone).
        keeps_on = turn.says_right_or_use or (requested == "phone" and turn.skips_phone)
        if not keeps_on and ((requested in FREE_TEXT_SLOTS and is_cancel_phrase(text)) or (
                requested in (*FREE_TEXT_SLOTS, "confirmed") and turn.cancels)):
            # "hủy" typed where free text is expected: end the form here; nothing has been stored.
            dispatcher.utter_message(text=texts.CANCELLED)
            return [*reset_petition_slots(), SlotSet("requested_slot", None)]
        if _is_activation(tracker):
            turn = Turn(text)
            if turn.is_english:  # the form is in Vietnamese: say so; take a complaint anyway, leave otherwise
                dispatcher.utter_message(text=texts.ENGLISH_POINTER, buttons=texts.MAIN_BUTTONS)
                if not turn.has("english_petition_words"):
                    return [*reset_petition_slots(), SlotSet("requested_slot", None)]
            if turn.names_document and turn.is_question and not turn.has("petition_verbs"):
                # A question about a document that the NLU took for a petition request: answer it, file nothing.
                await self._answer(dispatcher, text, consent_step=False, resume=False)
                return [*reset_petition_slots(), SlotSet("requested_slot", None)]
            return _draft_events(dispatcher, tracker) + _kind_events(tracker) + await super().run(
                dispatcher, tracker, domain)
        if requested == "consent":
            return await self._consent_turn(dispatcher, tracker, domain)
        if requested in ("matter", "commune", "phone") and _corrects_earlier_answer(tracker, text):
            # "khoan, tôi ghi nhầm xã, phải là xã Long Thuận" at the phone step: reopen that field, as at the summary;
            # the message is no answer to the question asked, so the slot it was put in is emptied again.
            tracker.add_slots([SlotSet(requested, None)])
            return [SlotSet(requested, None), *await self._edit_from_words(dispatcher, tracker, domain)]
        if requested in ("matter", "commune", "phone", "confirmed") and await self._interruption(
                dispatcher, tracker, requested):
            return [SlotSet(requested, None), SlotSet("requested_slot", requested)]
        if requested == "confirmed" and not is_button_payload(text) and Turn(text).flags_mistake:
            return await self._edit_from_words(dispatcher, tracker, domain)
        if requested == "confirmed" and not is_button_payload(text) and Turn(text).confirms:
            return [SlotSet("confirmed", "yes"), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def _settle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                      slots: dict[str, Any]) -> list[dict[str, Any]]:
        """SlotSet events for `slots` plus the next question the form must ask."""
        events = [SlotSet(name, value) for name, value in slots.items()]
        tracker.add_slots(events)
        following = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([following] if following else [])

    async def _consent_turn(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> list[dict[str, Any]]:
        """The consent step: agree, file anonymously, do not file, ask about it, or say something unclear."""
        text = latest_text(tracker)
        reading = read_consent(text)
        log.info("consent step read as %s", reading.value)
        if reading is ConsentReading.ANONYMOUS:
            dispatcher.utter_message(text=texts.CONSENT_DECLINED)
        if reading in (ConsentReading.AGREE, ConsentReading.ANONYMOUS):
            return await self._settle(dispatcher, tracker, domain, consent_events(reading))
        if reading is ConsentReading.NO_FILE:
            dispatcher.utter_message(text=texts.NOT_FILED)
            return [*reset_petition_slots(), SlotSet("requested_slot", None)]
        prompt = {ConsentReading.REFUSE: "choice", ConsentReading.DETAILS: "details"}.get(reading, "unclear")
        if reading is ConsentReading.QUESTION:
            await self._answer(dispatcher, text, consent_step=True)
            prompt = "short"
        return [SlotSet("consent", None), SlotSet("consent_prompt", prompt), SlotSet("requested_slot", "consent")]

    async def _interruption(self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str) -> bool:
        """A question typed where the form expects an answer: answer it (the form then asks its question again)."""
        text = latest_text(tracker)
        if is_button_payload(text) or question_problem(text):
            return False
        turn = Turn(text)
        if not turn.is_question:
            return False
        if requested != "matter" and not turn.asks_about_something:
            return False  # "thôi khỏi để số, có gì nhắn qua đây" holds "gì" but asks nothing
        if requested == "phone" and (PHONE_IN_TEXT.search(text) or phone_answer(text, "")[0] == NO_PHONE):
            return False
        if requested == "commune":
            try:
                match = await off_loop(_petitions().check_commune, text)
            except InputError:
                return False
            if match.matched:
                return False
        if requested == "matter":
            plain = turn.asks_outright or len(turn.words) <= turn.lex.number("matter_question_plain_words")
            if len(turn.words) > turn.lex.number("matter_question_max_words") or not plain:
                return False
            if not (turn.names_document or turn.process_topic() or turn.starts_with("question_openers")):
                return False
        if requested == "confirmed":
            intent, _ = latest_intent(tracker)
            if intent in ("affirm", "deny", "edit_petition", "stop") and not turn.asks_outright:
                return False
        await self._answer(dispatcher, text, consent_step=False)
        return True

    async def _answer(self, dispatcher: CollectingDispatcher, text: str, *, consent_step: bool,
                      resume: bool = True) -> None:
        """Questions about consent or deadlines from the catalogue; everything else from the documents."""
        turn = Turn(text)
        topic = None if turn.names_document else turn.process_topic()
        if consent_step and topic is None and not turn.names_document:
            topic = "consent"
        if topic == "consent":
            dispatcher.utter_message(text=texts.CONSENT_FAQ)
            return
        if topic == "deadline":
            dispatcher.utter_message(text=texts.DEADLINE_FAQ)
            return
        try:
            _, reply, _ = await documents_answer(turn.question_only())
        except Exception as exc:
            log.error("knowledge base failed to answer mid-form: %s", failure(exc))
            reply = texts.SERVICE_DOWN
        dispatcher.utter_message(text=f"{reply}\n{texts.RESUME_FORM}" if resume else reply)

    async def _edit_from_words(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> list[dict[str, Any]]:
        """"tôi ghi nhầm xã rồi" at the summary: open that field (or ask which one), never send."""
        text = latest_text(tracker)
        if edit_target(text) is None:
            slots: dict[str, Any] = {"confirmed": None, "editing": True, "edit_field": None}
        else:
            slots = self.validate_edit_field(text, dispatcher, tracker, domain)
        return await self._settle(dispatcher, tracker, domain, slots)

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
        # The consent step itself is read in run(); this only re-checks a slot decided earlier.
        return {"consent": value if isinstance(value, bool) else None}

    def validate_matter(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        draft = tracker.get_slot("matter_draft")
        text = latest_text(tracker)
        requested = tracker.get_slot("requested_slot")
        lex = load_lexicon()
        words = len(text.split())
        button = is_button_payload(text)
        if draft and requested == "matter" and (button or words <= lex.number("draft_answer_max_words")):
            use = read_draft_answer(text)
            if use is None and (button or words <= lex.number("short_answer_max_words")):
                intent, _ = latest_intent(tracker)
                use = {"affirm": True, "deny": False}.get(intent)
            if use is True:
                return {"matter": draft, "matter_draft": None}
            if use is False:
                return {"matter": None, "matter_draft": None}  # asked again, now without the draft
        try:
            matter = _petitions().check_matter(value if isinstance(value, str) else "")
        except InputError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"matter": None}
        return {"matter": matter, "matter_draft": None, **_given_alongside(tracker, text, commune=True)}

    async def validate_commune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            match = await off_loop(_petitions().check_commune, value if isinstance(value, str) else "")
        except InputError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"commune": None, "commune_code": None}
        if match.matched:
            given = _given_alongside(tracker, latest_text(tracker), commune=False)
            return {"commune": match.full_name, "commune_code": match.code, "commune_retry": None, **given}
        if tracker.get_slot("requested_slot") != "commune":  # the form re-checks a prefilled slot: keep it
            return {"commune": match.name, "commune_code": None}
        if not tracker.get_slot("commune_retry"):
            # Nothing matched: ask once more, with the closest names as buttons.
            buttons = [{"title": name, "payload": name} for name in match.candidates[:4]]
            template = texts.COMMUNE_ASK_AGAIN if buttons else texts.COMMUNE_ASK_AGAIN_NO_CANDIDATES
            dispatcher.utter_message(text=template.format(typed=match.name), buttons=buttons)
            return {"commune": None, "commune_code": None, "commune_retry": match.name}
        # Asked twice: keep it as typed and flag it for the operator.
        note = texts.COMMUNE_UNMATCHED.format(typed=match.name)
        dispatcher.utter_message(text=note)
        return {"commune": match.name, "commune_code": None, "commune_retry": None}

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


def _corrects_earlier_answer(tracker: Tracker, text: str) -> bool:
    """The citizen says an answer given at an earlier step was wrong, naming that field."""
    if is_button_payload(text) or not Turn(text).corrects:
        return False
    field = edit_target(text)
    return field is not None and field != tracker.get_slot("requested_slot") and bool(tracker.get_slot(field))


def _given_alongside(tracker: Tracker, text: str, *, commune: bool) -> dict[str, Any]:
    """Fields the citizen answered ahead, in the same message as the one asked for: the phone (only with consent)
    and, while describing the matter, a commune named with its prefix and exact name. A field already answered is
    never overwritten, and the summary shows both before anything is sent."""
    if tracker.get_slot("requested_slot") not in ("matter", "commune"):
        return {}
    ahead: dict[str, Any] = {}
    if commune and not tracker.get_slot("commune"):
        match = named_commune(text)
        if match is not None:
            ahead.update(commune=match.full_name, commune_code=match.code, commune_retry=None)
    if tracker.get_slot("consent") is True and tracker.get_slot("phone") is None:
        phone = phone_in_text(text)
        if phone:
            ahead["phone"] = phone
    return ahead


class ActionAskConsent(Action):
    """Asks for consent (Luật 91/2025/QH15) in three short lines, or follows up on the last answer: the choice after
    a refusal, the full legal text on "Xem chi tiết", the options again after an unclear answer."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        prompt = tracker.get_slot("consent_prompt")
        if prompt == "choice":
            dispatcher.utter_message(text=texts.CONSENT_REFUSED_CHOICE, buttons=texts.CONSENT_REFUSED_BUTTONS)
        elif prompt == "details":
            dispatcher.utter_message(text=CONSENT_TEXT_VI, buttons=texts.CONSENT_BUTTONS[:3])
        elif prompt == "unclear":
            dispatcher.utter_message(text=texts.CONSENT_UNCLEAR, buttons=texts.CONSENT_BUTTONS)
        else:
            dispatcher.utter_message(text=texts.CONSENT_PROMPT, buttons=texts.CONSENT_BUTTONS)
        return [SlotSet("consent_prompt", None)]


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
        dispatcher.utter_message(text=texts.MATTER_DRAFT_QUESTION.format(draft=draft),
                                 buttons=texts.MATTER_DRAFT_BUTTONS)
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
        named = tracker.get_slot("petition_kind")
        if named in KIND_LABELS:  # the citizen said "tố cáo" when starting, even if the matter does not repeat it
            draft = replace(draft, kind=named)
        dispatcher.utter_message(text=summary_text(slots, draft), buttons=texts.SUMMARY_BUTTONS)
        return []
