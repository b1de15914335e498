"""The web app: the public chat page and (mounted under /console/) the operators' console."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.answering import retry_pending_deliveries
from console.config import WebConfig
from console.context import ConsoleContext
from console.routes import console_routes, error_handlers
from console.security import SECURITY_HEADERS
from console.templating import make_templates
from console.webchat import make_routes

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


class ConsoleHeaders:
    """Adds the console's security headers (CSP, no framing, no caching) to every /console response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
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


async def _delivery_worker(ctx: ConsoleContext, every_s: float) -> None:
    """Resend failed answers periodically, so a citizen's answer is never dropped because a channel was down."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await retry_pending_deliveries(ctx.store, ctx.deliverer, ctx.agencies.name)
        except Exception:  # keep the worker alive; the failure is logged and retried next pass
            log.exception("delivery worker pass failed")


def create_console_app(config: WebConfig) -> Starlette:
    """Build the web app; nothing is connected until a request needs it."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    chat = make_routes(templates, config.rasa_url)
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
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=config.session_secret, same_site="lax",
                   https_only=config.cookie_secure, session_cookie="danvan_session"),
        Middleware(ConsoleHeaders),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if config.deliverer is not None and config.delivery_retry_s > 0:
            task = asyncio.create_task(_delivery_worker(ctx, config.delivery_retry_s))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(routes=routes, middleware=middleware, exception_handlers=error_handlers(console_templates),
                    lifespan=lifespan)
    app.state.console = ctx
    return app
