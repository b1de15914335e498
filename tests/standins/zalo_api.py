"""A stand-in of the Zalo OA platform on 127.0.0.1: the OA API (message/cs), OAuth (v4 token refresh) and ZNS
(business.openapi.zalo.me/message/template: approved templates sent to a phone number).

Like Zalo, it refuses a consultation message (-230) to a citizen whose last message to the OA — as this stand-in
sent it through `make_text_event` — is older than 48 hours. `down = True` plays an outage (HTTP 503 everywhere).

It also plays Zalo's webhook sender: `make_text_event` builds the body and the `X-ZEvent-Signature` header the way
DESIGN §7 describes — written here independently of bot/, so a wrong recipe in the bridge fails the tests.
Serve both hosts from the one stand-in: `api_base = oauth_base = standin.url`.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins._server import BackgroundServer
from tests.standins._wait import wait_for

T = TypeVar("T")
TEXT_LIMIT = 2000
FREE_WINDOW_S = 48 * 3600


class ZaloStandin:
    def __init__(self, *, app_id: str = "4321987654321", app_secret: str = "app-secret-standin",
                 oa_secret: str = "oa-secret-standin", port: int = 0) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret = oa_secret
        self.sent: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self.unreachable_users: dict[str, tuple[int, str]] = {}
        self.last_interaction_ms: dict[str, int] = {}
        self.approved_templates: set[str] = set()
        self.zns_sent: list[dict[str, Any]] = []
        self.down = False
        self._lock = threading.Lock()
        self._valid_access: set[str] = set()
        self._refresh_token = ""
        self._msg_ids = itertools.count(1)
        app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self._message_cs, methods=["POST"]),
            Route("/v4/oa/access_token", self._access_token, methods=["POST"]),
            Route("/message/template", self._message_template, methods=["POST"]),
        ])
        self._server = BackgroundServer(app, port)

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> ZaloStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> ZaloStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- tokens ----------------------------------------------------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """A fresh (access, refresh) pair as if the OA admin had just authorised the app."""
        access, refresh = "AT-" + secrets.token_hex(8), "RT-" + secrets.token_hex(8)
        with self._lock:
            self._valid_access.add(access)
            self._refresh_token = refresh
        return access, refresh

    def revoke(self, access_token: str) -> None:
        with self._lock:
            self._valid_access.discard(access_token)

    # -- Zalo as webhook sender ------------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: str, *, secret: str | None = None) -> str:
        material = self.app_id + body.decode("utf-8") + timestamp + (self.oa_secret if secret is None else secret)
        return "mac=" + hashlib.sha256(material.encode("utf-8")).hexdigest()

    def make_event(self, event: dict[str, Any], *, timestamp_ms: int | None = None,
                   secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        data = {"app_id": self.app_id, "user_id_by_app": "app-scoped-id", "timestamp": timestamp, **event}
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        headers = {"X-ZEvent-Signature": self.sign(body, timestamp, secret=secret),
                   "Content-Type": "application/json"}
        return body, headers

    def make_text_event(self, user_id: str, text: str, *, msg_id: str | None = None, timestamp_ms: int | None = None,
                        secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        when = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        with self._lock:
            self.last_interaction_ms[user_id] = max(when, self.last_interaction_ms.get(user_id, 0))
        event = {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "recipient": {"id": "oa-id-standin"},
            "message": {"text": text, "msg_id": msg_id or secrets.token_hex(12)},
        }
        return self.make_event(event, timestamp_ms=when, secret=secret)

    # -- what the OA sent ------------------------------------------------------------------------------------

    def texts(self, user_id: str | None = None) -> list[str]:
        with self._lock:
            return [m["message"]["text"] for m in self.sent
                    if "text" in m["message"] and (user_id is None or m["recipient"]["user_id"] == user_id)]

    async def wait_for(self, probe: Callable[[], T], timeout_s: float = 5.0) -> T:
        return await wait_for(probe, timeout_s)

    # -- Zalo's side -----------------------------------------------------------------------------------------

    def zns(self, phone: str | None = None) -> list[dict[str, Any]]:
        """The ZNS template messages sent (to one phone, "84…")."""
        with self._lock:
            return [m for m in self.zns_sent if phone is None or m["phone"] == phone]

    async def _message_template(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        token = request.headers.get("access_token", "")
        with self._lock:
            valid = token in self._valid_access
        if not valid:
            return JSONResponse({"error": -124, "message": "Access token is invalid"})
        body = await request.json()
        phone = str(body.get("phone") or "")
        data = body.get("template_data")
        if not (phone.isdigit() and phone.startswith("84")) or not isinstance(data, dict):
            return JSONResponse({"error": -108, "message": "Phone number is invalid"})
        if body.get("template_id") not in self.approved_templates:
            return JSONResponse({"error": -1123, "message": "Template is not approved"})
        with self._lock:
            self.zns_sent.append(body)
        return JSONResponse({"error": 0, "message": "Success",
                             "data": {"msg_id": f"z{next(self._msg_ids)}", "sent_time": str(int(time.time() * 1000)),
                                      "quota": {"dailyQuota": "500", "remainingQuota": "499"}}})

    async def _message_cs(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        token = request.headers.get("access_token", "")
        with self._lock:
            valid = token in self._valid_access
        if not valid:
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        user_id = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message") or {}
        if not user_id or not (message.get("text") or message.get("attachment")):
            return JSONResponse({"error": -201, "message": "Parameters invalid"})
        if len(message.get("text") or "") > TEXT_LIMIT:
            return JSONResponse({"error": -201, "message": "Message text is too long"})
        if user_id in self.unreachable_users:
            code, text = self.unreachable_users[user_id]
            return JSONResponse({"error": code, "message": text})
        seen = self.last_interaction_ms.get(user_id)
        if seen is not None and time.time() - seen / 1000 > FREE_WINDOW_S:
            return JSONResponse({"error": -230, "message": "User has not interacted with the OA in the past 48 hours"})
        with self._lock:
            self.sent.append({**body, "access_token": token})
        return JSONResponse({"error": 0, "message": "Success",
                             "data": {"message_id": f"m{next(self._msg_ids)}", "user_id": user_id}})

    async def _access_token(self, request: Request) -> JSONResponse:
        form = await request.form()
        record = {"app_id": form.get("app_id"), "grant_type": form.get("grant_type"),
                  "refresh_token": form.get("refresh_token"), "secret_key": request.headers.get("secret_key")}
        with self._lock:
            self.refreshes.append(record)
            ok = (record["secret_key"] == self.app_secret and record["app_id"] == self.app_id
                  and record["grant_type"] == "refresh_token" and record["refresh_token"] == self._refresh_token
                  and bool(self._refresh_token))
        if not ok:
            return JSONResponse({"error": -14014, "error_name": "Invalid refresh token",
                                 "error_description": "Refresh token is invalid or used"})
        access, refresh = "AT-" + secrets.token_hex(8), "RT-" + secrets.token_hex(8)
        with self._lock:
            self._valid_access.add(access)
            self._refresh_token = refresh  # single use: the old one is gone
        return JSONResponse({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
