"""Zalo Official Account ⇄ Rasa bridge: a Starlette webhook that verifies, enqueues and answers 200 at once.

Zalo waits about 2 s for the webhook's 200, retries, and eventually disables a slow hook, while a Rasa turn with a
knowledge lookup can take longer. So the endpoint only verifies the signature and freshness, drops redeliveries
(same msg_id), puts the event on an in-process queue and returns; a few workers then talk to Rasa (one citizen's
messages in order) and reply through the OA "message/cs" API. Buttons become a numbered menu and the reply "2"
is mapped back to the second payload.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import texts
from bot.dedupe import SeenEvents
from bot.jsonbody import BadJson, BodyTooLarge, load_json_object, read_limited
from bot.keyed_lock import KeyedLocks
from bot.menus import MenuStore
from bot.rasa_client import BotMessage, RasaBadResponse, RasaClient, RasaUnavailable
from bot.render import menu_choice, numbered_menu, split_text
from bot.retry import PendingMessage, RetryQueue, RetryWorker
from bot.sqlite import connect
from bot.zalo_client import ZaloSendError, record_inbound
from bot.zalo_config import ZaloConfig, build_zalo_client
from bot.zalo_events import InvalidEvent, SignatureRecipe, ZaloEvent, check_fresh, dedupe_key, parse_event

log = logging.getLogger(__name__)

CHANNEL = "zalo"

__all__ = ["CHANNEL", "ZaloBridge", "ZaloConfig", "build_zalo_client", "create_zalo_app"]


@dataclass(frozen=True)
class _Turn:
    """A citizen message resolved for Rasa (menu number already mapped to its payload)."""

    sender: str
    message: str
    metadata: dict[str, Any]


class ZaloBridge:
    """Verification, queueing and processing of OA events; `app.state.zalo` in the Starlette app."""

    def __init__(self, config: ZaloConfig, rasa: RasaClient, http: httpx.AsyncClient) -> None:
        self.config = config
        self.recipe = SignatureRecipe(config.signature_recipe, config.signature_prefix)
        self.rasa = rasa
        self._http = http
        self.client = build_zalo_client(config, http)
        self._conn = connect(config.state_db)
        self.seen = SeenEvents(self._conn)
        self.menus = MenuStore(self._conn, ttl_s=config.menu_ttl_s)
        self.retry = RetryQueue(self._conn, base_delay_s=config.retry_base_delay_s)
        self.retry_worker = RetryWorker(
            self.retry,
            rasa,
            CHANNEL,
            self._on_retried,
            on_give_up=self._on_give_up,
            interval_s=config.retry_interval_s,
            max_age_s=config.retry_max_age_s,
        )
        self._events: asyncio.Queue[ZaloEvent] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._user_locks = KeyedLocks()
        self._stopped = False
        # Per worker: the event taken from the queue, then the resolved turn until Rasa has answered it.
        self._in_flight: dict[asyncio.Task[Any] | None, ZaloEvent | _Turn] = {}

    # -- the webhook ---------------------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        """Verify, enqueue, 200. Forged or stale events get 401 and reach nobody."""
        try:
            body = await read_limited(request, self.config.max_body_bytes)
        except BodyTooLarge:
            return JSONResponse({"error": "event too large"}, status_code=413)
        try:
            data = load_json_object(body)  # deep nesting, lone surrogates, invalid UTF-8: 400, never a 500
            event = parse_event(data)
        except (BadJson, InvalidEvent) as exc:
            log.warning("rejected a Zalo webhook call: unreadable event (%s)", exc)
            return JSONResponse({"error": "invalid event"}, status_code=400)
        signature = request.headers.get(self.config.signature_header, "")
        if not signature or not self.recipe.verify(
            signature,
            app_id=self.config.app_id,
            body=body,
            timestamp=str(data.get("timestamp", "")),
            oa_secret=self.config.oa_secret,
        ):
            log.warning("rejected a Zalo %s event: bad or missing signature", event.event_name)
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            check_fresh(event, now_ms=int(time.time() * 1000), max_age_s=self.config.max_event_age_s)
        except InvalidEvent as exc:
            log.warning("rejected a Zalo %s event: %s", event.event_name, exc)
            return JSONResponse({"error": "stale event"}, status_code=401)
        if not self.seen.claim(CHANNEL, dedupe_key(event, body)):
            log.info("ignoring redelivered Zalo event %s", event.msg_id or "(no msg_id)")
            return JSONResponse({"ok": True, "duplicate": True})
        if self._stopped:
            return JSONResponse({"error": "shutting down"}, status_code=503)  # Zalo will retry
        if event.is_user_message and event.user_id:
            record_inbound(self._conn, event.user_id, event.timestamp_ms)  # opens Zalo's 48-hour reply window
            self.start()
            assert self._events is not None
            self._events.put_nowait(event)
        return JSONResponse({"ok": True})

    # -- background processing -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the event workers and the retry worker in the running loop (idempotent, also lazily)."""
        if self._workers and not all(task.done() for task in self._workers):
            return
        self._events = asyncio.Queue()
        self._workers = [
            asyncio.get_running_loop().create_task(self._work(), name=f"zalo-worker-{i}")
            for i in range(max(1, self.config.workers))
        ]
        self.retry_worker.start()

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait until every queued event has been processed (tests, graceful shutdown)."""
        if self._events is not None:
            await asyncio.wait_for(self._events.join(), timeout=timeout_s)

    async def stop(self, drain_timeout_s: float = 5.0) -> None:
        """Finish queued events briefly; park what is left in the durable retry queue; close clients (once)."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(TimeoutError):
            await self.drain(drain_timeout_s)
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []
        # At least once: an event cut off before Rasa answered is parked too (its message_key lets the petition
        # store recognise a repeat if Rasa had in fact processed it).
        leftovers = list(self._in_flight.values())
        self._in_flight.clear()
        while self._events is not None and not self._events.empty():
            leftovers.append(self._events.get_nowait())
            self._events.task_done()
        for item in leftovers:
            if isinstance(item, ZaloEvent):
                if not item.is_text:
                    continue
                item = _Turn(self.sender_of(item.user_id), *self._rasa_message(item))
            self.retry.put(CHANNEL, item.sender, item.message, item.metadata)
        if leftovers:
            log.warning("parked %d unprocessed Zalo event(s) in the retry queue at shutdown", len(leftovers))
        await self.retry_worker.stop()
        await self.rasa.aclose()
        await self._http.aclose()
        self._conn.close()

    async def _work(self) -> None:
        assert self._events is not None
        events = self._events
        while True:
            event = await events.get()
            task = asyncio.current_task()
            self._in_flight[task] = event
            try:
                try:
                    async with self._user_locks.hold(event.user_id):
                        await self.handle(event)
                except Exception:
                    log.exception("failed to process a Zalo %s event", event.event_name)
                self._in_flight.pop(task, None)  # not on cancellation: stop() parks what was cut off
            finally:
                events.task_done()

    @staticmethod
    def sender_of(user_id: str) -> str:
        return f"{CHANNEL}:{user_id}"

    def _rasa_message(self, event: ZaloEvent) -> tuple[str, dict[str, Any]]:
        """What goes to Rasa: a number answering a live menu becomes that button's payload."""
        sender = self.sender_of(event.user_id)
        message = event.text
        index = menu_choice(event.text, self.menus.size(sender))
        if index is not None:
            message = self.menus.take(sender, index) or event.text
        metadata = {
            "channel": CHANNEL,
            "user_id": event.user_id,
            "msg_id": event.msg_id,
            "timestamp": event.timestamp_ms,
            "message_key": f"{CHANNEL}:{event.msg_id}" if event.msg_id else None,
        }
        return message, metadata

    async def handle(self, event: ZaloEvent) -> None:
        """Process one citizen event: text to Rasa and replies back; other kinds get a "text only" note."""
        if not event.is_text:
            await self._send(event.user_id, texts.TEXT_ONLY)
            return
        sender = self.sender_of(event.user_id)
        message, metadata = self._rasa_message(event)
        task = asyncio.current_task()
        if self.retry.has_pending(CHANNEL, sender):
            self._in_flight.pop(task, None)
            self.retry.put(CHANNEL, sender, message, metadata)
            self.retry.make_due(CHANNEL, sender)
            self.retry_worker.wake()
            return
        self._in_flight[task] = _Turn(sender, message, metadata)
        try:
            replies = await self.rasa.send(sender, message, metadata)
        except RasaUnavailable as exc:
            self._in_flight.pop(task, None)
            log.error("Rasa unavailable, Zalo message queued for retry: %s", exc)
            self.retry.put(CHANNEL, sender, message, metadata)
            await self._send(event.user_id, texts.RASA_UNAVAILABLE)
            return
        except RasaBadResponse as exc:
            self._in_flight.pop(task, None)
            log.error("Rasa refused a Zalo message: %s", exc)
            await self._send(event.user_id, texts.RASA_REFUSED)
            return
        self._in_flight.pop(task, None)  # Rasa has it: never send it twice
        await self.render(event.user_id, replies)

    async def render(self, user_id: str, replies: Sequence[BotMessage]) -> None:
        """Send Rasa's replies as OA messages; the last set of buttons becomes the citizen's live menu."""
        if not replies:
            # Rasa answered nothing: a custom action failed (e.g. the action server is down). Never leave
            # the citizen in silence.
            log.error("Rasa returned no reply; told the citizen to resend")
            await self.client.send_text(user_id, texts.NO_REPLY)
            return
        offered: Sequence[Any] = ()
        for reply in replies:
            text = reply.text
            if reply.buttons:
                text = numbered_menu(text, reply.buttons)
                offered = reply.buttons
            for part in split_text(text, self.config.text_limit):
                if not await self._send(user_id, part):
                    return
            if reply.image:
                try:
                    await self.client.send_image(user_id, reply.image)
                except ZaloSendError as exc:
                    log.error("Zalo image not sent (error %s): %s", exc.code, exc)
        self.menus.offer(self.sender_of(user_id), offered)

    async def _send(self, user_id: str, text: str) -> bool:
        try:
            await self.client.send_text(user_id, text)
        except ZaloSendError as exc:
            log.error("Zalo reply not sent (error %s, retryable=%s): %s", exc.code, exc.retryable, exc)
            return False
        return True

    async def _on_retried(self, message: PendingMessage, replies: list[BotMessage]) -> None:
        await self.render(message.sender.split(":", 1)[1], replies)

    async def _on_give_up(self, message: PendingMessage) -> None:
        await self._send(message.sender.split(":", 1)[1], texts.GAVE_UP)


def create_zalo_app(
    config: ZaloConfig,
    *,
    rasa: RasaClient | None = None,
    http: httpx.AsyncClient | None = None,
) -> Starlette:
    """ASGI app with the OA webhook at `config.webhook_path`; workers start with the lifespan or the first event."""
    if not (config.app_id and config.oa_secret):
        raise ValueError("the Zalo bridge needs the app id and the OA secret key")
    bridge = ZaloBridge(
        config,
        rasa or RasaClient(config.rasa_url, timeout_s=config.rasa_timeout_s),
        http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)),
    )

    async def alive(request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        bridge.start()
        try:
            yield
        finally:
            await bridge.stop()

    app = Starlette(
        routes=[
            Route(config.webhook_path, bridge.webhook, methods=["POST"]),
            Route(config.webhook_path, alive, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.zalo = bridge
    return app
