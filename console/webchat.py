"""The web chat page: lets anyone try the assistant in a browser, and hear back from the operators there.

The browser talks only to this app, which forwards each message to Rasa's REST channel on 127.0.0.1; Rasa is never
exposed. Each browser gets an anonymous chat id ("web:<hex>") in the signed session cookie, and nothing else: the
conversation lives in the petitions database (petitions/chat_log.py), so a reload or a restart shows it again and an
operator's answer, written there by the delivery worker of any process, reaches the open page through a server-sent
events stream on the same address ("/" asked for `text/event-stream`). A cookie that is forged, expired, from another
deployment or of an ended chat is simply not recognised: the browser starts a fresh chat. Turns are rate-limited per
chat and per client address (bot/throttle.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.templating import Jinja2Templates

from bot.jsonbody import BadJson, load_json_object
from bot.rasa_client import RasaClient, RasaError
from bot.throttle import RateLimiter, Window, limiter_or_none
from console.config import WebConfig
from console.security import client_of
from petitions.chat_log import (
    ChatEnded,
    ChatLine,
    ChatLog,
    ChatLogConfig,
    NewLine,
    clean_buttons,
    open_chat_log,
    valid_sender,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
MAX_LABEL_CHARS = 120
NO_REPLY_TEXT = ("Xin lỗi, hệ thống chưa xử lý được tin nhắn vừa rồi do sự cố kỹ thuật. "
                 "Bạn vui lòng gửi lại tin nhắn đó sau ít phút.")
RASA_DOWN_TEXT = "Xin lỗi, hệ thống đang bận hoặc tạm gián đoạn. Bạn vui lòng thử lại sau ít phút."
TOO_LONG_TEXT = "Tin nhắn quá dài (tối đa 5.000 ký tự). Bạn vui lòng rút gọn nội dung."
EMPTY_TEXT = "Bạn vui lòng nhập nội dung tin nhắn."
BAD_INPUT_TEXT = "Dữ liệu gửi lên không hợp lệ."
SLOW_DOWN_TEXT = ("Bạn đang gửi tin nhắn nhanh hơn mức hệ thống cho phép. "
                  "Bạn vui lòng chờ khoảng một phút rồi gửi tiếp.")
# The no-JavaScript page gets a refused message back as a code in its address (never the message itself).
FORM_PROBLEMS = {"empty": EMPTY_TEXT, "long": TOO_LONG_TEXT, "slow": SLOW_DOWN_TEXT}
SESSION_KEY = "chat_sender"


def _new_sender() -> str:
    return f"web:{secrets.token_hex(8)}"


async def forward_to_rasa(rasa: RasaClient, sender: str, text: str,
                          metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One turn through the REST channel, by the client every channel uses (bot/rasa_client.py); its typed failures
    become a polite Vietnamese reply, logged in English. The page cannot queue a message for later as the Telegram
    and Zalo bridges do: the citizen is there, so they are asked to send it again."""
    try:
        messages = await rasa.send(sender, text, {"channel": "web", **(metadata or {})})
    except RasaError as exc:
        log.error("Rasa REST channel unavailable: %s", exc)
        return [{"text": RASA_DOWN_TEXT}]
    replies = [reply for reply in (m.to_json() for m in messages) if reply]
    if not replies:
        # Rasa answered nothing: a custom action failed (e.g. the action server is down). Never leave silence.
        log.error("Rasa returned no reply; told the citizen to resend")
        return [{"text": NO_REPLY_TEXT}]
    return replies


def _problem(text: Any) -> str | None:
    """The key of FORM_PROBLEMS that refuses this message, or None."""
    if not isinstance(text, str) or not text.strip():
        return "empty"
    if len(text) > MAX_MESSAGE_CHARS:
        return "long"
    return None


def _label(label: Any, text: str) -> str:
    """What the citizen's line shows: the title of the button pressed, else what they typed."""
    return label.strip()[:MAX_LABEL_CHARS] if isinstance(label, str) and label.strip() else text


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


class StreamSlots:
    """Open live streams per chat in this process: a few tabs are fine, a script opening hundreds is not."""

    def __init__(self, per_chat: int) -> None:
        self.per_chat = per_chat
        self._open: Counter[str] = Counter()

    def take(self, sender: str) -> bool:
        if self._open[sender] >= self.per_chat:
            return False
        self._open[sender] += 1
        return True

    def give_back(self, sender: str) -> None:
        self._open[sender] -= 1
        if self._open[sender] <= 0:
            del self._open[sender]


class ChatMemory:
    """The chat log opened on first use (building the app connects nothing), and the chat identity of a request."""

    def __init__(self, config: WebConfig, chat_config: ChatLogConfig) -> None:
        self._config = config
        self._chat_config = chat_config
        self._log: ChatLog | None = None
        self._lock = threading.Lock()

    def chat_log(self) -> ChatLog:
        with self._lock:
            if self._log is None:
                store = self._config.petition_store
                if store is not None:
                    store.migrate()
                    self._log = ChatLog(store.engine, self._chat_config)
                else:
                    if not self._config.database_url:
                        log.warning("no database configured: the web chat's history lives in memory only")
                    self._log = open_chat_log(self._config.database_url, self._chat_config)
            return self._log

    def known(self, request: Request) -> str | None:
        """The request's chat id if the cookie names a live chat; None for a new browser or an ended chat."""
        sender = request.session.get(SESSION_KEY)
        if not valid_sender(sender):
            return None
        try:
            if self.chat_log().is_ended(sender):
                return None
        except SQLAlchemyError as exc:
            log.error("web chat history unavailable: %s", type(exc).__name__)
        return sender

    def sender(self, request: Request) -> str:
        """The request's chat id, a fresh one (set in the cookie) when it has none that is usable."""
        sender = self.known(request)
        if sender is None:
            sender = _new_sender()
            request.session[SESSION_KEY] = sender
        return sender

    def history(self, sender: str | None) -> list[ChatLine]:
        if sender is None:
            return []
        try:
            chat_log = self.chat_log()
            chat_log.purge_if_due()
            return chat_log.lines(sender)
        except SQLAlchemyError as exc:
            log.error("web chat history unavailable: %s", type(exc).__name__)
            return []

    def record(self, sender: str, shown: str, replies: list[dict[str, Any]]) -> list[ChatLine]:
        """Store one turn: the citizen's line and the bot's replies. A database failure loses the memory of the
        turn, not the turn: the replies still go back to the page."""
        lines = [NewLine("user", shown)] + [
            NewLine("bot", str(r.get("text") or ""), clean_buttons(r.get("buttons"))) for r in replies
            if r.get("text") or r.get("buttons")]
        try:
            return self.chat_log().append(sender, *lines)
        except (SQLAlchemyError, ChatEnded) as exc:
            log.error("web chat turn not stored: %s", type(exc).__name__)
            return []

    def end(self, request: Request) -> None:
        sender = request.session.pop(SESSION_KEY, None)
        if valid_sender(sender):
            self.chat_log().end(sender)


def _after(request: Request) -> int:
    """The last line id the page has: the stream's Last-Event-ID on reconnects, else `?after=`."""
    values = (request.headers.get("last-event-id", ""), request.query_params.get("after", ""))
    return max((int(v) for v in values if v.isdigit() and len(v) < 19), default=0)


def make_routes(templates: Jinja2Templates, config: WebConfig) -> dict[str, Any]:
    rasa = RasaClient(config.rasa_url)  # opens nothing until the first turn (one pool per event loop)
    gate = ChatGate(config)
    chat_config = config.extra.get("webchat") or ChatLogConfig()
    memory = ChatMemory(config, chat_config)
    slots = StreamSlots(chat_config.streams_per_chat)

    def metadata(request: Request) -> dict[str, Any]:
        key = gate.client_key(client_of(request))
        return {"client_key": key} if key else {}

    async def turn(request: Request, text: str, shown: str) -> tuple[list[dict[str, Any]], list[ChatLine]] | None:
        """Forward one message and remember it; None when the rate limit refuses it."""
        sender = await run_in_threadpool(memory.sender, request)
        if not gate.allows(sender, client_of(request)):
            return None
        replies = await forward_to_rasa(rasa, sender, text, metadata(request))
        lines = await run_in_threadpool(memory.record, sender, shown, replies)
        return replies, lines

    async def chat_page(request: Request) -> Response:
        if "text/event-stream" in request.headers.get("accept", ""):
            return await chat_stream(request)
        request.session.pop("chat_history", None)  # cookies of older versions carried the conversation
        sender = await run_in_threadpool(memory.known, request)
        history = await run_in_threadpool(memory.history, sender)
        problem = FORM_PROBLEMS.get(request.query_params.get("e", ""))
        return templates.TemplateResponse(request, "chat.html", {
            "history": history, "last_id": history[-1].id if history else 0, "problem": problem})

    async def chat_stream(request: Request) -> Response:
        """New lines of this chat as server-sent events, until `stream_seconds` pass (the page then reconnects)."""
        sender = await run_in_threadpool(memory.known, request)
        if sender is None:
            return Response(status_code=204)  # nothing to follow yet; EventSource stops on 204
        if not slots.take(sender):
            log.warning("web chat stream refused: too many open streams for one chat")
            return Response(status_code=429, headers={"Retry-After": "30"})
        chat_log = await run_in_threadpool(memory.chat_log)
        cursor = _after(request)

        async def events() -> AsyncIterator[str]:
            nonlocal cursor
            loop = asyncio.get_running_loop()
            deadline = loop.time() + chat_config.stream_seconds
            try:
                yield f"retry: {int(chat_config.stream_poll_s * 2000)}\n\n"
                while loop.time() < deadline:
                    try:
                        lines = await run_in_threadpool(chat_log.lines, sender, after=cursor, limit=50)
                    except SQLAlchemyError as exc:
                        log.error("web chat stream: history unavailable: %s", type(exc).__name__)
                        return
                    for line in lines:
                        cursor = line.id
                        yield f"id: {line.id}\ndata: {json.dumps(line.as_json(), ensure_ascii=False)}\n\n"
                    if not lines:
                        await asyncio.sleep(max(0.0, min(chat_config.stream_poll_s, deadline - loop.time())))
            finally:
                slots.give_back(sender)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def chat_api(request: Request) -> Response:
        try:
            body = load_json_object(await request.body())  # the body size is bounded by the app's BodyLimit
        except BadJson as exc:
            log.info("web chat: refused a request body (%s)", exc)
            return JSONResponse({"error": BAD_INPUT_TEXT}, status_code=400)
        text = body.get("message")
        problem = _problem(text)
        if problem:
            return JSONResponse({"error": FORM_PROBLEMS[problem]}, status_code=400)
        text = str(text).strip()
        done = await turn(request, text, _label(body.get("label"), text))
        if done is None:
            return JSONResponse({"error": SLOW_DOWN_TEXT}, status_code=429, headers={"Retry-After": "60"})
        replies, lines = done
        return JSONResponse({"replies": replies, "lines": [line.as_json() for line in lines]})

    async def chat_form(request: Request) -> Response:
        """The same chat without JavaScript: post a form, get the page back with the conversation. The form's
        "Xóa cuộc trò chuyện" button ends the chat: its lines are deleted and the browser gets a new id."""
        form = await request.form()
        if form.get("action") == "clear":
            await run_in_threadpool(memory.end, request)
            return RedirectResponse("/", status_code=303)
        text = form.get("message")
        problem = _problem(text)
        if problem:
            return RedirectResponse(f"/?e={problem}#cuoi", status_code=303)
        text = str(text).strip()
        if await turn(request, text, _label(form.get("label"), text)) is None:
            return RedirectResponse("/?e=slow#cuoi", status_code=303)
        return RedirectResponse("/#cuoi", status_code=303)

    routes: dict[str, Callable[..., Any]] = {
        "page": chat_page, "api": chat_api, "form": chat_form, "stream": chat_stream,
        "close": rasa.aclose}  # for the app's shutdown: the Rasa connections of its loop
    return routes
