"""The one door from every channel bridge into Rasa: its REST channel.

Channel bridges never talk NLU or dialogue themselves; they post what the citizen typed to
`{rasa_url}/webhooks/rest/webhook` and render whatever comes back. Failures are translated here, once, into two
typed errors: `RasaUnavailable` (try the same message again later) and `RasaBadResponse` (retrying will not help).
What a channel does then is its own: Telegram and Zalo queue the message for a retry (bot/retry.py), the web chat
asks the citizen to send it again (console/webchat.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

REST_PATH = "/webhooks/rest/webhook"


class RasaError(Exception):
    """Rasa did not give a usable answer."""


class RasaUnavailable(RasaError):
    """Rasa is down, starting up, overloaded or too slow: the message should be retried later."""


class RasaBadResponse(RasaError):
    """Rasa answered, but refused the request or returned something that is not a REST-channel reply."""


@dataclass(frozen=True)
class Button:
    """One choice offered by Rasa: what the citizen sees (title) and what goes back to Rasa (payload)."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """One bot utterance from the REST channel, reduced to what our channels can show."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str = ""
    custom: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BotMessage:
        buttons = tuple(
            Button(title=str(b.get("title") or b.get("payload") or ""), payload=str(b.get("payload") or b.get("title")))
            for b in (data.get("buttons") or data.get("quick_replies") or [])
            if isinstance(b, Mapping) and (b.get("payload") or b.get("title"))
        )
        custom = data.get("custom")
        return cls(
            text=str(data.get("text") or ""),
            buttons=buttons,
            image=str(data.get("image") or ""),
            custom=custom if isinstance(custom, Mapping) else {},
        )

    def to_json(self) -> dict[str, Any]:
        """The REST channel's shape again, with only what the message has: what the web chat page reads."""
        data: dict[str, Any] = {"text": self.text} if self.text else {}
        if self.buttons:
            data["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            data["image"] = self.image
        if self.custom:
            data["custom"] = dict(self.custom)
        return data


class RasaClient:
    """Async client of Rasa's REST channel; one instance per process, closed with `aclose()`.

    An HTTP connection pool belongs to the event loop it was opened in, and a process may run several loops in turn
    (Starlette's TestClient runs each request of the web chat in a new one, scripts call `asyncio.run` per message),
    so the instance keeps one pool per running loop, opened on first use there: a bridge or web app on one loop
    reuses its connections to Rasa across messages, and a pool never serves a loop it was not made in. Pools of
    loops that have ended are dropped.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_s, connect=5.0)
        self._transport = transport
        self._pools: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._lock = threading.Lock()  # loops of other threads (TestClient's portal) add and drop pools too

    def _http(self) -> httpx.AsyncClient:
        """The running loop's pool, opened on first use in that loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            pool = self._pools.get(loop)
            if pool is None:
                for ended in [other for other in self._pools if other.is_closed()]:
                    del self._pools[ended]  # its sockets go with it; a closed loop can no longer close them politely
                pool = self._pools[loop] = httpx.AsyncClient(
                    base_url=self.base_url, timeout=self._timeout, transport=self._transport)
            return pool

    async def send(self, sender: str, message: str, metadata: Mapping[str, Any] | None = None) -> list[BotMessage]:
        """Post one user message; return Rasa's replies (possibly none)."""
        body = {"sender": sender, "message": message, "metadata": dict(metadata or {})}
        try:
            response = await self._http().post(REST_PATH, json=body)
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"Rasa did not answer in time at {self.base_url}") from exc
        except httpx.TransportError as exc:
            raise RasaUnavailable(f"cannot reach Rasa at {self.base_url}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise RasaBadResponse(f"Rasa refused the message: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RasaBadResponse("Rasa's reply is not JSON") from exc
        if not isinstance(data, list):
            raise RasaBadResponse("Rasa's reply is not a list of messages")
        return [BotMessage.from_json(item) for item in data if isinstance(item, Mapping)]

    async def aclose(self) -> None:
        """Close the running loop's pool (the one a bridge or app opened); a later `send` opens a new one."""
        with self._lock:
            pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()

    async def __aenter__(self) -> RasaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
