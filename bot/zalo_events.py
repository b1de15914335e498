"""Reading a Zalo OA webhook call: is it really from Zalo, is it fresh, and what does it say.

Zalo signs each event: header `X-ZEvent-Signature: mac=<sha256 hex>` over app id + raw body + the event's
timestamp + the OA secret key (DESIGN §7). Public sources disagree on details (header name, order of the parts),
so the header name, the recipe (a template over {app_id}, {body}, {timestamp}, {oa_secret}) and the prefix are
configuration, checked once at start-up.
"""
from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_RECIPE = "{app_id}{body}{timestamp}{oa_secret}"
RECIPE_FIELDS = frozenset({"app_id", "body", "timestamp", "oa_secret"})


class InvalidEvent(Exception):
    """The call is not an event we accept (forged, stale or malformed); the reason is safe to log."""


@dataclass(frozen=True)
class SignatureRecipe:
    """How Zalo's MAC is built: `prefix` + sha256 hex of `template` filled with the event's parts."""

    template: str = DEFAULT_RECIPE
    prefix: str = "mac="

    def __post_init__(self) -> None:
        names = {name for _, name, _, _ in string.Formatter().parse(self.template) if name is not None}
        unknown = names - RECIPE_FIELDS
        if unknown or "oa_secret" not in names:
            raise ValueError(
                f"Zalo signature recipe must use only {sorted(RECIPE_FIELDS)} and include {{oa_secret}}; "
                f"got {self.template!r}"
            )

    def sign(self, *, app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
        material = self.template.format(
            app_id=app_id, body=body.decode("utf-8"), timestamp=timestamp, oa_secret=oa_secret
        )
        return self.prefix + hashlib.sha256(material.encode("utf-8")).hexdigest()

    def verify(self, header: str, *, app_id: str, body: bytes, timestamp: str, oa_secret: str) -> bool:
        expected = self.sign(app_id=app_id, body=body, timestamp=timestamp, oa_secret=oa_secret)
        return hmac.compare_digest(header.strip().lower().encode(), expected.lower().encode())


@dataclass(frozen=True)
class ZaloEvent:
    """The parts of a webhook event the bridge uses."""

    event_name: str
    user_id: str
    text: str
    msg_id: str
    timestamp_ms: int

    @property
    def is_text(self) -> bool:
        return self.event_name == "user_send_text"

    @property
    def is_user_message(self) -> bool:
        return self.event_name.startswith("user_send_")


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of the event, or an empty one when it is missing or not an object."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def parse_event(data: Mapping[str, Any]) -> ZaloEvent:
    """Pick the fields out of a decoded event; raises InvalidEvent when the essentials are missing."""
    sender = _section(data, "sender")
    message = _section(data, "message")
    try:
        timestamp_ms = int(str(data.get("timestamp", "")))
    except ValueError as exc:
        raise InvalidEvent("event without a numeric timestamp") from exc
    event_name = str(data.get("event_name") or "")
    if not event_name:
        raise InvalidEvent("event without event_name")
    return ZaloEvent(
        event_name=event_name,
        user_id=str(sender.get("id") or ""),
        text=str(message.get("text") or ""),
        msg_id=str(message.get("msg_id") or ""),
        timestamp_ms=timestamp_ms,
    )


def check_fresh(event: ZaloEvent, *, now_ms: int, max_age_s: float) -> None:
    """Reject replays: events older (or further in the future) than `max_age_s` seconds."""
    if abs(now_ms - event.timestamp_ms) > max_age_s * 1000:
        raise InvalidEvent(f"stale event ({(now_ms - event.timestamp_ms) / 1000:.0f} s old)")


def dedupe_key(event: ZaloEvent, body: bytes) -> str:
    """What identifies a delivery: the msg_id, or for events without one (follow, reactions, some attachments) a
    hash of the signed body, which a redelivery repeats byte for byte (its timestamp included)."""
    if event.msg_id:
        return event.msg_id
    return "body:" + hashlib.sha256(body).hexdigest()
