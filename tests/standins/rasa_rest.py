"""A tiny stand-in of Rasa's REST channel for the bridges' own tests.

It records every message it receives and answers through a replaceable `responder` (plain or async), can be slow
(`delay_s`), fail (`status`), or be stopped and started again on the same port — Rasa down and back.

    with RasaRestStandin() as rasa:
        rasa.responder = lambda sender, text, metadata: [{"text": "Chào bà con"}]
"""
from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins._server import BackgroundServer
from tests.standins._wait import wait_for

T = TypeVar("T")
Replies = list[dict[str, Any]]
Responder = Callable[[str, str, dict[str, Any]], "Replies | Awaitable[Replies]"]


def echo(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": sender, "text": f"Đã nhận: {text}"}]


class RasaRestStandin:
    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.responder: Responder = echo
        self.delay_s = 0.0
        self.status: int | None = None
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/webhooks/rest/webhook", self._webhook, methods=["POST"])])
        self._server = BackgroundServer(app, port)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> RasaRestStandin:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> RasaRestStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def messages(self, sender: str | None = None) -> list[str]:
        with self._lock:
            return [m["message"] for m in self.received if sender is None or m["sender"] == sender]

    async def wait_for(self, probe: Callable[[], T], timeout_s: float = 5.0) -> T:
        return await wait_for(probe, timeout_s)

    async def _webhook(self, request: Request) -> JSONResponse:
        body = await request.json()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.status is not None:
            return JSONResponse({"status": "failure"}, status_code=self.status)
        if not isinstance(body.get("sender"), str) or not isinstance(body.get("message"), str):
            return JSONResponse({"error": "bad request"}, status_code=400)
        with self._lock:
            self.received.append(body)
        replies = self.responder(body["sender"], body["message"], body.get("metadata") or {})
        if inspect.isawaitable(replies):
            replies = await replies
        return JSONResponse([{"recipient_id": body["sender"], **r} for r in replies])
