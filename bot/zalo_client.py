"""Sending from the Official Account to a citizen: consultation messages ("message/cs") and ZNS template messages.

Used both by the webhook bridge (replies) and by notices to citizens. Zalo lets an OA send a free consultation
message only within 48 hours of the citizen's last message (error -230 otherwise); beyond that only an approved
Zalo Notification Service (ZNS) template, addressed by phone number, gets through. The bridge records each citizen's
last inbound time here (`record_inbound`) so the notice sender knows which way to go.

The Zalo API answers HTTP 200 with an error code in the body; those codes are translated here into one exception
with a `retryable` flag, and an expired or revoked access token is refreshed once and the send repeated.
"""
from __future__ import annotations

import logging
import sqlite3
from typing import Any

import httpx

from bot.zalo_tokens import ZaloTokenError, ZaloTokenManager

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
ZNS_PATH = "/message/template"
TOKEN_ERRORS = frozenset({-216, -124})  # access token invalid / expired
RETRYABLE_ERRORS = frozenset({-32})  # rate limit
OUTSIDE_WINDOW_ERRORS = frozenset({-230})  # the citizen has not written to the OA recently enough


class ZaloSendError(Exception):
    """The OA could not send the message; `retryable` says whether trying later may succeed."""

    def __init__(self, message: str, *, code: int | None = None, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class ZaloOAClient:
    """The OA API's outbound side, authenticated by a `ZaloTokenManager`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_base: str,
        tokens: ZaloTokenManager,
        *,
        token_header: str = "access_token",
        zns_base: str = "https://business.openapi.zalo.me",
    ) -> None:
        self._http = http
        self.api_base = api_base.rstrip("/")
        self.zns_base = zns_base.rstrip("/")
        self.tokens = tokens
        self.token_header = token_header

    async def send_text(self, user_id: str, text: str) -> str:
        """Send one text message (caller keeps it within Zalo's 2,000 characters); returns Zalo's message id."""
        return await self._send({"recipient": {"user_id": user_id}, "message": {"text": text}})

    async def send_image(self, user_id: str, url: str) -> str:
        """Send an image by URL as a media template."""
        attachment = {
            "type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "image", "url": url}]},
        }
        return await self._send({"recipient": {"user_id": user_id}, "message": {"attachment": attachment}})

    async def send_template(self, phone: str, template_id: str, template_data: dict[str, str], *,
                            tracking_id: str) -> str:
        """Send an approved ZNS template to a phone number ("84…", no plus); returns Zalo's msg_id.

        `tracking_id` is ours, echoed in Zalo's delivery reports, so a report can be matched to the notice.
        """
        body = {"phone": phone.lstrip("+"), "template_id": template_id, "template_data": template_data,
                "tracking_id": tracking_id}
        return await self._send(body, f"{self.zns_base}{ZNS_PATH}", id_field="msg_id")

    async def _send(self, body: dict[str, Any], url: str | None = None, *, id_field: str = "message_id") -> str:
        for attempt in (1, 2):
            try:
                token = await self.tokens.access_token()
            except ZaloTokenError as exc:
                raise ZaloSendError(str(exc), retryable=True) from exc
            data = await self._post(url or f"{self.api_base}{CS_PATH}", body, token)
            code = _error_code(data)
            if code == 0:
                message_id = (data.get("data") or {}).get(id_field, "")
                return str(message_id)
            if code in TOKEN_ERRORS and attempt == 1:
                log.warning("Zalo rejected the access token (error %s); refreshing", code)
                try:
                    await self.tokens.refresh(stale=token)
                except ZaloTokenError as exc:
                    raise ZaloSendError(str(exc), code=code, retryable=True) from exc
                continue
            raise ZaloSendError(
                f"Zalo refused the message: error {code} {data.get('message', '')}".strip(),
                code=code,
                retryable=code in RETRYABLE_ERRORS or code in TOKEN_ERRORS,
            )
        raise AssertionError("unreachable")

    async def _post(self, url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        try:
            response = await self._http.post(url, headers={self.token_header: token}, json=body)
        except httpx.HTTPError as exc:
            raise ZaloSendError(f"cannot reach the Zalo OA API: {type(exc).__name__}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ZaloSendError(f"Zalo OA API answered HTTP {response.status_code}", retryable=True)
        try:
            data = response.json()
        except ValueError as exc:
            raise ZaloSendError(f"Zalo OA API answered HTTP {response.status_code} without JSON",
                                retryable=False) from exc
        if not isinstance(data, dict):
            raise ZaloSendError("Zalo OA API answered with an unexpected shape", retryable=False)
        return data


def _error_code(data: dict[str, Any]) -> int:
    try:
        return int(data.get("error", 0))
    except (TypeError, ValueError):
        return -1


# -- the 48-hour window: each citizen's last inbound message, kept in the bridge's state database ------------------

_INBOUND_TABLE = "CREATE TABLE IF NOT EXISTS zalo_last_inbound (user_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)"


def record_inbound(conn: sqlite3.Connection, user_id: str, at_ms: int) -> None:
    """Note that this citizen wrote to the OA at `at_ms` (Zalo's event time, ms); an older event never moves it back."""
    conn.execute(_INBOUND_TABLE)
    conn.execute(
        "INSERT INTO zalo_last_inbound (user_id, at_ms) VALUES (?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms)",
        (user_id, int(at_ms)),
    )


def last_inbound(conn: sqlite3.Connection, user_id: str) -> int | None:
    """When this citizen last wrote to the OA (ms since the epoch), or None if this deployment never saw it."""
    conn.execute(_INBOUND_TABLE)
    row = conn.execute("SELECT at_ms FROM zalo_last_inbound WHERE user_id = ?", (user_id,)).fetchone()
    return int(row[0]) if row else None
