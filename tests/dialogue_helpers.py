"""Helpers for the end-to-end dialogue tests: walk the petition form through the real REST channel."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from nlp.text import has_diacritics

CODE_RE = re.compile(r"\bTN-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def new_sender(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in replies for b in m.get("buttons") or []]


def joined(replies: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


def is_vietnamese_reply(replies: list[dict[str, Any]]) -> bool:
    """At least one non-empty reply, written in Vietnamese (with diacritics)."""
    text = joined(replies)
    return bool(text.strip()) and has_diacritics(text)


@dataclass
class Conversation:
    """One citizen talking to the running assistant; keeps every reply for assertions and failure messages."""

    stack: Any
    sender: str = field(default_factory=new_sender)
    log: list[tuple[str, str]] = field(default_factory=list)

    def say(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        replies = self.stack.send(self.sender, text, **kwargs)
        self.log.append((text, joined(replies)))
        return replies

    def says(self, text: str, **kwargs: Any) -> str:
        return joined(self.say(text, **kwargs))

    def transcript(self) -> str:
        return "\n".join(f"> {q}\n{a}" for q, a in self.log)


def file_petition(
    conv: Conversation,
    *,
    start: str,
    consent: str,
    matter: str,
    commune: str,
    phone: str | None,
    confirm: str,
) -> str:
    """Walk the whole form; returns the tracking code from the receipt."""
    reply = conv.says(start)
    assert "91/2025/QH15" in reply, conv.transcript()
    reply = conv.says(consent)
    assert "nội dung" in reply.lower(), conv.transcript()
    reply = conv.says(matter)
    assert "xã, phường" in reply.lower(), conv.transcript()
    reply = conv.says(commune)
    if phone is not None:
        assert "số điện thoại" in reply.lower(), conv.transcript()
        reply = conv.says(phone)
    assert "Chuyển đến" in reply, conv.transcript()
    reply = conv.says(confirm)
    match = CODE_RE.search(reply)
    assert match, conv.transcript()
    return match.group(0)
