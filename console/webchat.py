"""The web chat page: lets anyone try the assistant in a browser.

The browser talks only to this app, which forwards each message to Rasa's REST channel on 127.0.0.1; Rasa is never
exposed. Each browser gets an anonymous sender id in a signed session cookie.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
NO_REPLY_TEXT = ("Xin lỗi, hệ thống chưa xử lý được tin nhắn vừa rồi do sự cố kỹ thuật. "
                 "Bạn vui lòng gửi lại tin nhắn đó sau ít phút.")
RASA_DOWN_TEXT = "Xin lỗi, hệ thống đang bận hoặc tạm gián đoạn. Bạn vui lòng thử lại sau ít phút."
TOO_LONG_TEXT = "Tin nhắn quá dài (tối đa 5.000 ký tự). Bạn vui lòng rút gọn nội dung."
EMPTY_TEXT = "Bạn vui lòng nhập nội dung tin nhắn."


def _sender(request: Request) -> str:
    sender = request.session.get("chat_sender")
    if not sender:
        sender = f"web:{secrets.token_hex(8)}"
        request.session["chat_sender"] = sender
    return sender


async def forward_to_rasa(rasa_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    """One turn through the REST channel; a failure becomes a polite Vietnamese reply, logged in English."""
    try:
        async with httpx.AsyncClient(timeout=30.0) as client:
            body = {"sender": sender, "message": text, "metadata": {"channel": "web"}}
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


def make_routes(templates: Jinja2Templates, rasa_url: str) -> dict[str, Any]:
    async def chat_page(request: Request) -> Response:
        history = request.session.get("chat_history", [])[-20:]
        return templates.TemplateResponse(request, "chat.html", {"history": history})

    async def chat_api(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "Dữ liệu gửi lên không hợp lệ."}, status_code=400)
        text = body.get("message") if isinstance(body, dict) else None
        problem = _check(text)
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
        replies = await forward_to_rasa(rasa_url, _sender(request), text.strip())
        return JSONResponse({"replies": replies})

    async def chat_form(request: Request) -> Response:
        """The same chat without JavaScript: post a form, get the page back with the conversation."""
        form = await request.form()
        text = form.get("message")
        history = request.session.get("chat_history", [])
        problem = _check(text)
        if problem:
            history.append({"who": "bot", "text": problem})
        else:
            history.append({"who": "user", "text": str(text).strip()})
            for reply in await forward_to_rasa(rasa_url, _sender(request), str(text).strip()):
                history.append({"who": "bot", "text": reply.get("text", ""),
                                "buttons": reply.get("buttons", [])})
        request.session["chat_history"] = [dict(h, text=h["text"][:400]) for h in history[-6:]]
        return RedirectResponse("/#cuoi", status_code=303)

    return {"page": chat_page, "api": chat_api, "form": chat_form}
