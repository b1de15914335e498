"""Dân kiểm tra: the status of a petition by its tracking code, shown only to the person who filed it."""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import texts
from actions.common import PHONE_IN_TEXT, failure, latest_text, off_loop
from actions.runtime import services
from petitions.codes import find_code, normalize_code, validate
from petitions.phone import normalize_phone
from petitions.service import MSG_BAD_CODE, MSG_NOT_FOUND

log = logging.getLogger(__name__)

# Anything that starts like a tracking code ("TN-12-345", "TN 7K4Q"), so a malformed one gets "wrong code", not a
# decline from the documents.
_CODE_LIKE = re.compile(r"\bTN[\s\-_.]*[0-9A-Z]{1,8}(?:[\s\-_.]+[0-9A-Z]{1,6})?\b", re.IGNORECASE)


# "mã của tui là 12345": a code named as such but without its TN- prefix or its shape.
_CODE_NAMED = re.compile(r"\bm[ãa](?: (?:của|cua) \w+)?(?: (?:là|la))?\s*:?\s*[0-9][0-9A-Z\-]{3,11}\b", re.IGNORECASE)


def code_from_message(tracker: Tracker) -> tuple[str | None, str | None]:
    """(valid normalised code, None), or (None, what was typed when it looks like a code but fails its check)."""
    text = latest_text(tracker)
    parsed = (tracker.latest_message or {}).get("entities") or []
    entities = [e.get("value") for e in parsed if e.get("entity") == "code"]
    for value in entities:
        if isinstance(value, str) and validate(value):
            return normalize_code(value), None
    found = find_code(text)
    if found:
        return found, None
    typed = next((v for v in entities if isinstance(v, str)), None)
    if typed is None:
        match = _CODE_LIKE.search(text) or _CODE_NAMED.search(text)
        typed = match.group(0) if match else None
    return None, typed


def phone_from_message(text: str) -> str | None:
    for match in PHONE_IN_TEXT.finditer(text):
        phone = normalize_phone(match.group(0))
        if phone:
            return phone
    return None


async def reply_with_status(dispatcher: CollectingDispatcher, tracker: Tracker,
                            code: str | None = None) -> list[dict[str, Any]]:
    """The status of the petition named in the latest message (or `code`, asked about a turn earlier), for its
    owner or someone giving its phone. A code not found is remembered, so the phone can follow on its own."""
    typed = None
    if code is None:
        code, typed = code_from_message(tracker)
    if code is None:
        dispatcher.utter_message(text=MSG_BAD_CODE if typed else texts.STATUS_ASK_CODE)
        return []
    # The code's own digits ("TN-ME8R-2652 0912 000 111") must not be read as the start of the phone number.
    phone = phone_from_message(_CODE_LIKE.sub(" ", latest_text(tracker)))
    try:
        view = await off_loop(services().petitions.status, code, tracker.sender_id, phone)
    except Exception as exc:
        log.error("status lookup failed: %s", failure(exc))
        dispatcher.utter_message(text=texts.SERVICE_DOWN)
        return []
    if view is None:
        log.info("status lookup refused or not found")
        dispatcher.utter_message(text=MSG_NOT_FOUND)
        return [SlotSet("status_code", code)]  # the right phone may follow on its own
    dispatcher.utter_message(text=view.message_vi())
    return [SlotSet("status_code", None)]


class ActionCheckStatus(Action):
    """Looks a petition up for its owner (same chat) or for someone who also gives the phone used when filing."""

    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return await reply_with_status(dispatcher, tracker)


async def reply_with_my_petitions(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """"hồ sơ của tôi", "tôi quên mã": the petitions filed from this chat, without asking for a code."""
    try:
        views = await off_loop(services().petitions.mine, tracker.sender_id)
    except Exception as exc:
        log.error("listing a citizen's petitions failed: %s", failure(exc))
        dispatcher.utter_message(text=texts.SERVICE_DOWN)
        return []
    if not views:
        dispatcher.utter_message(text=texts.MY_PETITIONS_NONE)
        return []
    lines = [texts.MY_PETITIONS_HEADER, *(view.line_vi() for view in views), texts.MY_PETITIONS_FOOTER]
    dispatcher.utter_message(text="\n".join(lines))
    return []
