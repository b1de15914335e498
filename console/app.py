"""The web app: the public chat page and (mounted under /console/) the operators' console."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.answering import notice_service
from console.config import WebConfig
from console.context import ConsoleContext
from console.documents import MAX_FILES
from console.open311 import open311_routes
from console.routes import console_routes, error_handlers
from console.security import SECURITY_HEADERS, Network, parse_networks, real_client
from console.templating import make_templates
from console.webchat import make_routes

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


class SecurityHeaders:
    """Adds the security headers (CSP, no framing, no caching) to every page but the static files: the console's
    and the public chat page's alike, so neither can be framed by another site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self._headers if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ClientAddress:
    """Puts the real client address in the ASGI scope: the TCP peer, or — only when that peer is one of the
    configured trusted proxies — the address X-Forwarded-For names (console.security.real_client). Everything
    downstream (login delays, rate limits, the audit log) reads `request.client`."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted and scope.get("client"):
            peer, port = scope["client"]
            forwarded = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
            client = real_client(peer, forwarded, self.trusted)
            if client != peer:
                scope = dict(scope, client=(client, 0))
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    pass


TOO_LARGE_TEXT = "Dữ liệu gửi lên quá lớn."


class BodyLimit:
    """Caps every request body before anything parses it: by the declared length at once, and by counting what
    arrives, so a chunked body cannot get around it. Limits per path prefix, the longest match winning."""

    def __init__(self, app: ASGIApp, limits: dict[str, int], default: int) -> None:
        self.app = app
        self.limits = sorted(limits.items(), key=lambda item: -len(item[0]))
        self.default = default

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        log.warning("refused a request body over the limit for %s", scope["path"])
        if scope["path"].startswith("/api/"):
            response: Response = JSONResponse({"error": TOO_LARGE_TEXT}, status_code=413)
        else:
            response = PlainTextResponse(TOO_LARGE_TEXT, status_code=413)
        await response(scope, receive, send)


async def _notice_worker(ctx: ConsoleContext, every_s: float) -> None:
    """Send due notices (petitions/outbox.py) every `every_s`, and at once again while a pass fills a whole batch.

    Claims are atomic, so several web processes may each run this loop: every notice still goes out once.
    """
    while True:
        await asyncio.sleep(every_s)
        try:
            service = await run_in_threadpool(notice_service, ctx)
            while sum((await service.run_once()).values()) >= service.outbox.policy.batch:
                pass
        except Exception:  # keep the worker alive; the failure is logged and retried next pass
            log.exception("notice worker pass failed")


def create_console_app(config: WebConfig) -> Starlette:
    """Build the web app; nothing is connected until a request needs it."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    chat = make_routes(templates, config)
    ctx = ConsoleContext(config)
    console_templates = make_templates()

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def console_root(request: Request) -> Response:
        return RedirectResponse("/console/", status_code=307)

    routes = [
        Route("/", chat["page"]),
        Route("/chat", chat["form"], methods=["POST"]),
        Route("/api/chat", chat["api"], methods=["POST"]),
        Route("/healthz", healthz),
        Route("/console", console_root),
        Mount("/console", routes=console_routes(ctx, console_templates)),
        Mount("/open311/v2", routes=open311_routes(ctx)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    upload_limit = min(config.max_upload_request_bytes, config.max_upload_bytes * MAX_FILES + 1024 * 1024)
    middleware = [
        Middleware(ClientAddress, trusted=parse_networks(config.trusted_proxies)),
        Middleware(BodyLimit, default=config.max_form_body_bytes, limits={
            "/api/chat": config.max_chat_body_bytes, "/chat": config.max_chat_body_bytes,
            "/console/login": config.max_chat_body_bytes, "/console/documents": upload_limit,
        }),
        Middleware(SessionMiddleware, secret_key=config.session_secret, same_site="lax",
                   https_only=config.cookie_secure, session_cookie="danvan_session"),
        Middleware(SecurityHeaders),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if config.deliverer is not None and config.delivery_retry_s > 0:
            task = asyncio.create_task(_notice_worker(ctx, config.delivery_retry_s))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await chat["close"]()  # the web chat's connections to Rasa

    app = Starlette(routes=routes, middleware=middleware, exception_handlers=error_handlers(console_templates),
                    lifespan=lifespan)
    app.state.console = ctx
    return app
