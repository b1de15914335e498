"""The web app: the public chat page and (mounted under /console/) the operators' console."""
from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from console.config import WebConfig
from console.webchat import make_routes

HERE = Path(__file__).resolve().parent


def create_console_app(config: WebConfig) -> Starlette:
    """Build the web app; nothing is connected until a request needs it."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    chat = make_routes(templates, config.rasa_url)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", chat["page"]),
        Route("/chat", chat["form"], methods=["POST"]),
        Route("/api/chat", chat["api"], methods=["POST"]),
        Route("/healthz", healthz),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=config.session_secret, same_site="lax", https_only=False,
                   session_cookie="danvan_session"),
    ]
    return Starlette(routes=routes, middleware=middleware)
