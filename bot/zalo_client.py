"""Sending consultation messages ("message/cs") from the Official Account to a citizen.

Used both by the webhook bridge (replies) and by operators' delivery. The Zalo API answers HTTP 200 with an error
code in the body; those codes are translated here into one exception with a `retryable` flag, and an expired or
revoked access token is refreshed once and the send repeated.
"""
from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.zalo_tokens import ZaloTokenError, ZaloTokenManager

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
TOKEN_ERRORS = frozenset({-216, -124})  # access token invalid / expired
RETRYABLE_ERRORS = frozenset({-32})  # rate limit


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
    ) -> None:
        self._http = http
        self.api_base = api_base.rstrip("/")
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

    async def _send(self, body: dict[str, Any]) -> str:
        for attempt in (1, 2):
            try:
                token = await self.tokens.access_token()
            except ZaloTokenError as exc:
                raise ZaloSendError(str(exc), retryable=True) from exc
            data = await self._post(body, token)
            code = _error_code(data)
            if code == 0:
                message_id = (data.get("data") or {}).get("message_id", "")
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

    async def _post(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        try:
            response = await self._http.post(f"{self.api_base}{CS_PATH}", headers={self.token_header: token}, json=body)
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
