"""Small helpers shared by the actions: reading the latest message, idempotency keys, slot resets, off-loop calls."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from nlp.text import fold, has_diacritics

T = TypeVar("T")

PETITION_FORM = "petition_form"
# Every slot that holds part of a petition being written; cleared after submitting or cancelling, so that nothing
# of one petition leaks into the next one.
PETITION_SLOTS = (
    "consent",
    "consent_text",
    "consent_at",
    "consent_prompt",
    "petition_kind",
    "commune_retry",
    "matter_draft",
    "matter",
    "commune",
    "commune_code",
    "phone",
    "confirmed",
    "editing",
    "edit_field",
)
NO_PHONE = "none"
# A phone number inside a sentence ("số tôi là 0912 345 678 nhé"); not glued to a word such as a tracking code
# ending in a digit ("TN-483T-SSR5 0912 000 111").
PHONE_IN_TEXT = re.compile(r"(?<!\w)(?:\+|\()?\d[\d\s.\-()]{7,18}\d(?!\w)")
# Questions of petition_form answered with free text; an explicit "hủy" typed there cancels the petition.
FREE_TEXT_SLOTS = ("matter", "commune", "phone", "edit_field")
# Explicit ways to say "cancel", on folded text with politeness words removed. A whole-message match, never a
# keyword search: "đề nghị hủy quyết định xử phạt" is a petition, not a cancellation.
_CANCEL_RE = re.compile(
    r"^(?:thoi |xin )?(?:(?:huy|dung|ngung|cancel|stop)(?: bo| lai| het| luon| phan anh| kien nghi| don(?: nay)?"
    r"| yeu cau| gui| viec nay)?(?: di)?"
    r"|thoi(?: khoi| bo di| bo qua| khong gui nua| khong lam nua)?"
    r"|(?:toi )?(?:khong|ko|k) (?:muon )?(?:gui|phan anh|lam) nua"
    r"|doi y(?: roi)?(?: huy(?: di)?)?)$"
)
_FILLERS = re.compile(r"\b(?:a|ah|nhe|nha|nhen|giup|dum|gium|toi|minh|em|chau|con|ban|ad|ak|roi)\b")
# Metadata keys under which channel bridges pass the channel's own message id (stable across redeliveries).
_CHANNEL_MESSAGE_ID_KEYS = ("message_id", "msg_id", "update_id")


def latest_text(tracker: Tracker) -> str:
    """The text of the latest user message ('' when there is none)."""
    text = (tracker.latest_message or {}).get("text")
    return text if isinstance(text, str) else ""


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def is_button_payload(text: str) -> bool:
    """A payload such as "/affirm" sent by a button the bot showed (an explicit click, not free text)."""
    return text.startswith("/") and " " not in text.strip()


def is_cancel_phrase(text: str) -> bool:
    """True for an explicit request to stop ("hủy", "thôi không gửi nữa", the "Hủy" button)."""
    stripped = text.strip()
    if stripped == "/stop":
        return True
    if len(stripped) > 80:
        return False
    if has_diacritics(stripped):  # "đúng rồi", "dùng đi" fold to "dung": only "dừng" is a stop
        stripped = re.sub(r"\w+", lambda m: "x" if fold(m.group(0)).lower() == "dung" and m.group(0).lower() != "dừng"
                          else m.group(0), stripped)
    words = re.sub(r"[^a-z0-9 ]", " ", fold(stripped))
    core = " ".join(_FILLERS.sub(" ", words).split())
    return bool(core) and bool(_CANCEL_RE.match(core))


def _latest_user_event(tracker: Tracker) -> dict[str, Any]:
    """The latest `user` event: unlike `latest_message` (the NLU parse), it carries message_id and metadata."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return {}


def _metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = _latest_user_event(tracker).get("metadata") or (tracker.latest_message or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def channel_name(tracker: Tracker) -> str:
    """The citizen's channel: the bridge's `channel` metadata (telegram, zalo, web), else Rasa's input channel."""
    channel = _metadata(tracker).get("channel") or _latest_user_event(tracker).get("input_channel")
    return str(channel or tracker.get_latest_input_channel() or "rest")[:32]


def idempotency_key(tracker: Tracker) -> str:
    """Key of a confirmed petition, so that confirming the same thing twice never creates two petitions.

    Built from what is filed (chat, matter, commune, phone), not from message ids: a redelivered webhook keeps its
    id, but a citizen who retries after a timeout or an error sends a new message with a new id — and must still
    get the petition that may already have been stored, not a duplicate.
    """
    from petitions import PetitionService

    phone = tracker.get_slot("phone")
    return PetitionService.content_key(
        tracker.sender_id,
        str(tracker.get_slot("matter") or ""),
        str(tracker.get_slot("commune") or ""),
        phone if isinstance(phone, str) else None,
    )


def reset_petition_slots() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in PETITION_SLOTS]


def failure(exc: BaseException) -> str:
    """Where a call failed, for the log: the exception's type and the frame that raised it, never its message.

    Database and validation errors quote the values involved (a phone number, the petition text), and those must
    not reach the logs.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else ""
    reason = _database_reason(getattr(exc, "orig", None) or exc)
    return f"{type(exc).__module__}.{type(exc).__qualname__}{where}" + (f" ({reason})" if reason else "")


# SQLite's own error strings (fixed texts, never the values involved) and PostgreSQL's SQLSTATE classes: enough for an
# operator to see what went wrong with the database (a full disk, a lock, a lost connection) without the message.
_SQLITE_REASONS = ("database or disk is full", "database is locked", "attempt to write a readonly database",
                   "disk I/O error", "unable to open database file")
_SQLSTATE_REASONS = {"53100": "PostgreSQL: disk full", "53200": "PostgreSQL: out of memory",
                     "53300": "PostgreSQL: too many connections", "57P01": "PostgreSQL: server shutting down",
                     "08": "PostgreSQL: connection lost", "25006": "PostgreSQL: read-only transaction"}


def _database_reason(error: BaseException) -> str:
    code = getattr(error, "pgcode", None)
    if isinstance(code, str):
        return _SQLSTATE_REASONS.get(code) or _SQLSTATE_REASONS.get(code[:2], f"PostgreSQL SQLSTATE {code}")
    if type(error).__module__ == "sqlite3" and error.args:
        first = str(error.args[0])
        return next((f"SQLite: {known}" for known in _SQLITE_REASONS if first.startswith(known)), "")
    return ""


async def off_loop(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call (model inference, database) without stalling the action server's event loop."""
    return await asyncio.to_thread(func, *args, **kwargs)
