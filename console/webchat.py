"""The web chat page: lets anyone try the assistant in a browser.

The browser talks only to this app, which forwards each message to Rasa's REST channel on 127.0.0.1; Rasa is never
exposed. Each browser gets an anonymous sender id in a signed session cookie, and nothing else: the conversation
shown by the no-JavaScript page is kept in this process (`ChatHistory`), so the cookie carries no message and stays
small. Turns are rate-limited per chat and per client address (bot/throttle.py).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections import OrderedDict
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.jsonbody import BadJson, load_json_object
from bot.throttle import RateLimiter, Window, limiter_or_none
from console.config import WebConfig
from console.security import client_of

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
NO_REPLY_TEXT = ("Xin lỗi, hệ thống chưa xử lý được tin nhắn vừa rồi do sự cố kỹ thuật. "
                 "Bạn vui lòng gửi lại tin nhắn đó sau ít phút.")
RASA_DOWN_TEXT = "Xin lỗi, hệ thống đang bận hoặc tạm gián đoạn. Bạn vui lòng thử lại sau ít phút."
TOO_LONG_TEXT = "Tin nhắn quá dài (tối đa 5.000 ký tự). Bạn vui lòng rút gọn nội dung."
EMPTY_TEXT = "Bạn vui lòng nhập nội dung tin nhắn."
BAD_INPUT_TEXT = "Dữ liệu gửi lên không hợp lệ."
SLOW_DOWN_TEXT = ("Bạn đang gửi tin nhắn nhanh hơn mức hệ thống cho phép. "
                  "Bạn vui lòng chờ khoảng một phút rồi gửi tiếp.")
HISTORY_TURNS = 6
HISTORY_CHARS = 400


class ChatHistory:
    """The last few lines of each chat for the no-JavaScript page, in memory, bounded in chats and lines."""

    def __init__(self, max_chats: int = 5000) -> None:
        self._chats: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._max = max_chats
        self._lock = threading.Lock()

    def get(self, sender: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._chats.get(sender or "", []))

    def add(self, sender: str, *lines: dict[str, Any]) -> None:
        with self._lock:
            kept = self._chats.pop(sender, [])
            kept.extend(dict(line, text=str(line.get("text", ""))[:HISTORY_CHARS]) for line in lines)
            self._chats[sender] = kept[-HISTORY_TURNS:]
            while len(self._chats) > self._max:
                self._chats.popitem(last=False)


def _sender(request: Request) -> str:
    sender = request.session.get("chat_sender")
    if not sender:
        sender = f"web:{secrets.token_hex(8)}"
        request.session["chat_sender"] = sender
    return sender


async def forward_to_rasa(rasa_url: str, sender: str, text: str,
                          metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One turn through the REST channel; a failure becomes a polite Vietnamese reply, logged in English."""
    try:
        async with httpx.AsyncClient(timeout=30.0) as client:
            body = {"sender": sender, "message": text, "metadata": {"channel": "web", **(metadata or {})}}
            response = await client.post(f"{rasa_url}/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            replies = list(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        log.error("Rasa REST channel unavailable: %s", type(exc).__name__)
        return [{"text": RASA_DOWN_TEXT}]
    if not replies:
        # Rasa answered nothing: a custom action failed (e.g. the action server is down). Never leave silence.
        log.error("Rasa returned no reply; told the citizen to resend")
        return [{"text": NO_REPLY_TEXT}]
    return replies


def _check(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return EMPTY_TEXT
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG_TEXT
    return None


class ChatGate:
    """Rate limits of the chat: per chat session and per client address, one limiter implementation for both."""

    def __init__(self, config: WebConfig) -> None:
        per_chat = config.chat_turns_per_minute
        # A person reads and types; a burst of a third of the minute's allowance within 10 s is already a script.
        self.by_chat = limiter_or_none([Window(per_chat, 60.0), Window(max(1, per_chat // 3), 10.0)]
                                       if per_chat > 0 else [])
        per_address = config.chat_turns_per_minute_per_address
        self.by_address: RateLimiter | None = limiter_or_none([Window(per_address, 60.0)])
        self._key = hashlib.sha256(("client-key:" + config.session_secret).encode()).digest()

    def allows(self, sender: str, client: str) -> bool:
        if self.by_address is not None and client and not self.by_address.hit(f"addr:{client}"):
            log.warning("web chat turn refused: too many turns from one client address")
            return False
        if self.by_chat is not None and not self.by_chat.hit(f"chat:{sender}"):
            log.warning("web chat turn refused: too many turns in one chat")
            return False
        return True

    def client_key(self, client: str) -> str:
        """A keyed hash of the client address for the action server's filing limit: no address in the tracker."""
        return hmac.new(self._key, client.encode(), hashlib.sha256).hexdigest()[:24] if client else ""


def make_routes(templates: Jinja2Templates, config: WebConfig) -> dict[str, Any]:
    rasa_url = config.rasa_url
    gate = ChatGate(config)
    histories = ChatHistory()

    def metadata(request: Request) -> dict[str, Any]:
        key = gate.client_key(client_of(request))
        return {"client_key": key} if key else {}

    async def chat_page(request: Request) -> Response:
        request.session.pop("chat_history", None)  # cookies of older versions carried the conversation
        history = histories.get(request.session.get("chat_sender"))
        return templates.TemplateResponse(request, "chat.html", {"history": history})

    async def chat_api(request: Request) -> Response:
        try:
            body = load_json_object(await request.body())  # the body size is bounded by the app's BodyLimit
        except BadJson as exc:
            log.info("web chat: refused a request body (%s)", exc)
            return JSONResponse({"error": BAD_INPUT_TEXT}, status_code=400)
        text = body.get("message")
        problem = _check(text)
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
        sender = _sender(request)
        if not gate.allows(sender, client_of(request)):
            return JSONResponse({"error": SLOW_DOWN_TEXT}, status_code=429, headers={"Retry-After": "60"})
        replies = await forward_to_rasa(rasa_url, sender, text.strip(), metadata(request))
        return JSONResponse({"replies": replies})

    async def chat_form(request: Request) -> Response:
        """The same chat without JavaScript: post a form, get the page back with the conversation."""
        form = await request.form()
        text = form.get("message")
        sender = _sender(request)
        problem = _check(text)
        if problem:
            histories.add(sender, {"who": "bot", "text": problem})
        elif not gate.allows(sender, client_of(request)):
            histories.add(sender, {"who": "bot", "text": SLOW_DOWN_TEXT})
        else:
            lines: list[dict[str, Any]] = [{"who": "user", "text": str(text).strip()}]
            for reply in await forward_to_rasa(rasa_url, sender, str(text).strip(), metadata(request)):
                lines.append({"who": "bot", "text": reply.get("text", ""), "buttons": reply.get("buttons", [])})
            histories.add(sender, *lines)
        return RedirectResponse("/#cuoi", status_code=303)

    return {"page": chat_page, "api": chat_api, "form": chat_form}
