"""Channel-neutral rendering: long answers cut where a reader expects a break, buttons as a numbered menu.

Telegram refuses messages over 4,096 characters (counted in UTF-16 code units) and Zalo's consultation messages
over 2,000; a cited answer from the knowledge base can be longer. Cutting mid-sentence makes a legal citation hard
to read, so the cut goes at the last paragraph break, else line break, else sentence end, else space before the
limit. Zalo has no buttons in consultation messages, so Rasa's buttons become "1. …, 2. …" and the citizen answers
with the number.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from bot.rasa_client import Button

TELEGRAM_TEXT_LIMIT = 4096
ZALO_TEXT_LIMIT = 2000

MENU_HINT = "Bạn trả lời bằng số thứ tự (1, 2, …) để chọn."

_SENTENCE_END = re.compile(r"[.!?…;](?:[\"'”’)\]»]*)(?=\s)")
_CHOICE = re.compile(r"^\s*(?:số\s*)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


def text_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """Largest index i such that text[:i] is at most `limit` UTF-16 units long."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _best_cut(text: str, limit: int) -> int:
    end = _fitting_prefix(text, limit)
    window = text[:end]
    floor = max(1, end // 3)  # a cut earlier than this wastes too much of the message
    for pattern in ("\n\n", "\n"):
        pos = window.rfind(pattern)
        if pos >= floor:
            return pos + len(pattern)
    sentence_cuts = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= floor]
    if sentence_cuts:
        return sentence_cuts[-1]
    pos = window.rfind(" ")
    if pos >= floor:
        return pos + 1
    return max(end, 1)


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into parts of at most `limit` UTF-16 units, at the most natural boundary available."""
    if limit < 1:
        raise ValueError("limit must be positive")
    rest = text.strip()
    parts: list[str] = []
    while rest and text_length(rest) > limit:
        cut = _best_cut(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def numbered_menu(text: str, buttons: Sequence[Button]) -> str:
    """The message text followed by the buttons as a numbered list and a one-line hint."""
    lines = [f"{i}. {button.title}" for i, button in enumerate(buttons, start=1)]
    head = text.strip()
    menu = "\n".join(lines)
    return f"{head}\n\n{menu}\n\n{MENU_HINT}" if head else f"{menu}\n\n{MENU_HINT}"


def menu_choice(text: str, count: int) -> int | None:
    """0-based index chosen by a reply like "2", "2.", "số 2"; None when the reply is not a valid choice."""
    match = _CHOICE.match(text)
    if not match:
        return None
    number = int(match.group(1))
    return number - 1 if 1 <= number <= count else None
