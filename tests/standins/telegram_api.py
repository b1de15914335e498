"""A minimal Telegram Bot API on 127.0.0.1, reached by python-telegram-bot through its `base_url`.

It plays both sides a test needs: the citizen (queueing updates that getUpdates hands out, or building update JSON
for a webhook POST) and Telegram's servers (recording every method call and enforcing the limits the bridge must
respect: 4,096 UTF-16 units per message, 64 bytes of callback data, blocked chats answer 403).

    with TelegramStandin() as api:
        app = build_telegram_app(TelegramConfig(token=api.token, base_url=api.base_url, ...))
        api.send_text(42, "xin chào")
        await api.wait_for(lambda: api.texts(42))
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins._server import BackgroundServer
from tests.standins._wait import wait_for, wait_for_sync

T = TypeVar("T")

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
JSON_FIELDS = frozenset({
    "chat_id", "reply_markup", "offset", "limit", "timeout", "allowed_updates", "message_id", "commands",
    "drop_pending_updates", "show_alert", "max_connections",
})


@dataclass(frozen=True)
class Call:
    """One Bot API method call as the stand-in received it (JSON fields decoded)."""

    method: str
    params: dict[str, Any]
    at: float


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description}, status_code=code)


class TelegramStandin:
    def __init__(self, token: str = "123456:TEST-standin-token", *, bot_id: int = 123456,
                 username: str = "danvan_test_bot", port: int = 0, max_poll_wait_s: float = 1.0) -> None:
        self.token = token
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "Dân vận", "username": username}
        self.max_poll_wait_s = max_poll_wait_s
        self.calls: list[Call] = []
        self.blocked_chats: set[int] = set()
        self.down = False  # an outage: every call answers HTTP 502 until it is set back
        self.webhook: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._queue: list[tuple[dict[str, Any], bool]] = []  # (update, forced redelivery)
        self._history: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._sent_messages: dict[int, dict[str, Any]] = {}
        self._chat_logs: dict[int, list[tuple[float, str]]] = {}
        self._closing = False
        # Long polls wake when an update arrives, as Telegram's do (pushes come from other threads).
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"])])
        self._server = BackgroundServer(app, port)

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def base_url(self) -> str:
        """What PTB's `base_url` should be (PTB appends the token)."""
        return f"{self.url}/bot"

    def start(self) -> TelegramStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        self._closing = True  # open long polls return at once instead of being cut off
        self._server.stop()
        self._closing = False

    def __enter__(self) -> TelegramStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the citizen's side ----------------------------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Công dân", "language_code": "vi"}

    def make_text_update(self, chat_id: int, text: str, *, user_id: int | None = None) -> dict[str, Any]:
        """Update JSON for a private text message (commands get their bot_command entity)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Công dân"},
            "from": self._user(user_id or chat_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self._update_ids), "message": message}

    def make_photo_update(self, chat_id: int) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Công dân"},
            "from": self._user(chat_id),
            "photo": [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}],
        }
        return {"update_id": next(self._update_ids), "message": message}

    def make_button_press(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Update JSON for a press on an inline button of a message the bot sent."""
        message = self._sent_messages.get(message_id) or {
            "message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
        }
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(chat_id),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": message,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def push(self, update: dict[str, Any], *, forced: bool = False) -> dict[str, Any]:
        """Queue an update for getUpdates; `forced` hands it out even below the confirmed offset."""
        with self._lock:
            self._queue.append((update, forced))
            self._history[update["update_id"]] = update
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that poll's loop has closed
                loop.call_soon_threadsafe(event.set)
        return update

    def send_text(self, chat_id: int, text: str, *, user_id: int | None = None) -> dict[str, Any]:
        return self.push(self.make_text_update(chat_id, text, user_id=user_id))

    def send_photo(self, chat_id: int) -> dict[str, Any]:
        return self.push(self.make_photo_update(chat_id))

    def press_button(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        return self.push(self.make_button_press(chat_id, message_id, data))

    def redeliver(self, update: dict[str, Any] | int) -> dict[str, Any]:
        """Hand out an update again, as Telegram does when the previous delivery was never confirmed."""
        if isinstance(update, int):
            update = self._history[update]
        return self.push(update, forced=True)

    # -- what the bot did ------------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every sendMessage (reply_markup decoded), optionally for one chat."""
        return [c.params for c in self.calls_of("sendMessage") if chat_id is None or c.params["chat_id"] == chat_id]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.messages(chat_id)]

    def chat_log(self, chat_id: int) -> list[tuple[float, str]]:
        """(monotonic time, text) of every message sent to one chat; cheap enough to poll under load."""
        with self._lock:
            return list(self._chat_logs.get(chat_id, ()))

    def sent_message_ids(self, chat_id: int) -> list[int]:
        with self._lock:
            return [mid for mid, m in self._sent_messages.items() if m["chat"]["id"] == chat_id]

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._queue)

    async def wait_for(self, probe: Callable[[], T], timeout_s: float = 5.0) -> T:
        return await wait_for(probe, timeout_s)

    def wait_for_sync(self, probe: Callable[[], T], timeout_s: float = 5.0) -> T:
        return wait_for_sync(probe, timeout_s)

    # -- Telegram's side -------------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        if self.down:
            return _error(502, "Bad Gateway")
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str) and key in JSON_FIELDS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        with self._lock:
            self.calls.append(Call(method, params, time.monotonic()))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        if method == "getUpdates":
            return await self._m_getUpdates(params)
        return handler(params)

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    def _m_getMe(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(self.bot_user)

    def _take_updates(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            if offset is not None:  # confirming: everything below the offset is gone for good
                self._queue = [(u, f) for u, f in self._queue if f or u["update_id"] >= offset]
            batch = self._queue[:limit]
            forced_ids = {id(u) for u, f in batch if f}
            self._queue = [(u, f) for u, f in self._queue if id(u) not in forced_ids]
            return [u for u, _ in batch]

    async def _m_getUpdates(self, params: dict[str, Any]) -> JSONResponse:
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        wait_s = min(float(params.get("timeout") or 0), self.max_poll_wait_s)
        deadline = time.monotonic() + wait_s
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            while True:
                waiter[1].clear()
                updates = self._take_updates(offset, limit)
                left = deadline - time.monotonic()
                if updates or self._closing or left <= 0:
                    return self._ok(updates)
                # Woken by a push, or after a short while to notice that the stand-in is closing.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(waiter[1].wait(), min(left, 0.1))
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def _record_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Công dân"},
            "from": self.bot_user,
            **extra,
        }
        with self._lock:
            self._sent_messages[message["message_id"]] = message
        return message

    def _check_chat(self, params: dict[str, Any]) -> JSONResponse | None:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return _error(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        return None

    def _check_markup(self, markup: Any) -> JSONResponse | None:
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _m_sendMessage(self, params: dict[str, Any]) -> JSONResponse:
        text = str(params.get("text") or "")
        problem = self._check_chat(params) or self._check_markup(params.get("reply_markup"))
        if problem is not None:
            return problem
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if _utf16_len(text) > TEXT_LIMIT:
            return _error(400, "Bad Request: message is too long")
        extra: dict[str, Any] = {"text": text}
        if params.get("reply_markup"):
            extra["reply_markup"] = params["reply_markup"]
        with self._lock:
            self._chat_logs.setdefault(params["chat_id"], []).append((time.monotonic(), text))
        return self._ok(self._record_message(params["chat_id"], extra))

    def _m_sendPhoto(self, params: dict[str, Any]) -> JSONResponse:
        problem = self._check_chat(params)
        if problem is not None:
            return problem
        photo = [{"file_id": str(params.get("photo")), "file_unique_id": "p", "width": 1, "height": 1}]
        return self._ok(self._record_message(params["chat_id"], {"photo": photo}))

    def _m_sendChatAction(self, params: dict[str, Any]) -> JSONResponse:
        return self._check_chat(params) or self._ok(True)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(True)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> JSONResponse:
        with self._lock:
            message = self._sent_messages.get(int(params.get("message_id") or 0))
            if message is None:
                return _error(400, "Bad Request: message to edit not found")
            message.pop("reply_markup", None)
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
        return self._ok(message)

    def _m_setMyCommands(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(True)

    def _m_deleteWebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook = None
        return self._ok(True)

    def _m_setWebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook = dict(params)
        return self._ok(True)

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> JSONResponse:
        url = (self.webhook or {}).get("url", "")
        return self._ok({"url": url, "has_custom_certificate": False, "pending_update_count": 0})
