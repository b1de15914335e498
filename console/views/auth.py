"""Logging in and out."""
from __future__ import annotations

import asyncio
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.keyed_lock import KeyedLocks
from console.accounts import AccountLocked, LoginFailed, normalize_username
from console.context import ConsoleContext
from console.security import (
    COOKIE,
    CsrfRejected,
    check_origin,
    clear_session_cookie,
    client_of,
    login_csrf,
    safe_next,
    set_session_cookie,
    tokens_match,
)
from console.templating import render, vn_datetime

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
LOCKED = "Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau {until}."


class AuthViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates
        self._clients = KeyedLocks()

    def _page(self, request: Request, *, error: str = "", username: str = "", status: int = 200) -> Response:
        return render(self.templates, request, "console/login.html", {
            "login_csrf": login_csrf(request), "error": error, "username": username,
            "next": safe_next(request.query_params.get("next")),
        }, status_code=status)

    async def login_page(self, request: Request) -> Response:
        """The login form; someone already signed in goes straight to the queue."""
        await run_in_threadpool(self.ctx.ready)
        if await run_in_threadpool(self.ctx.accounts.resume, request.cookies.get(COOKIE)):
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return self._page(request)

    async def login(self, request: Request) -> Response:
        """Check the password (name lockout, address delay), open a session, set the HttpOnly cookie.

        An address with many recent failures waits before its password is checked, one attempt at a time (parallel
        guesses queue up behind each other); a correct password after the wait signs in.
        """
        await run_in_threadpool(self.ctx.ready)
        check_origin(request)
        form = await request.form()
        if not tokens_match(request.session.get("login_csrf"), form.get("csrf_token")):
            raise CsrfRejected("login form")
        username = str(form.get("username") or "")[:64]
        password = str(form.get("password") or "")
        client = client_of(request)
        try:
            async with self._clients.hold(client):
                delay = await run_in_threadpool(self.ctx.accounts.client_delay, client)
                if delay > 0:
                    await asyncio.sleep(delay)
                account = await run_in_threadpool(self.ctx.accounts.authenticate, username, password, client)
        except AccountLocked as exc:
            await run_in_threadpool(self._audit_failure, username, client, "login-blocked", exc.until)
            return self._page(request, error=LOCKED.format(until=vn_datetime(exc.until)), username=username,
                              status=429)
        except LoginFailed:
            until = await run_in_threadpool(self.ctx.accounts.locked_until, username)
            await run_in_threadpool(self._audit_failure, username, client, "login-failed", None)
            if until is not None:  # this failure locked the name
                await run_in_threadpool(self._audit_failure, username, client, "lockout", until)
            return self._page(request, error=WRONG, username=username, status=401)
        token, signed = await run_in_threadpool(self.ctx.accounts.open_session, account)
        await run_in_threadpool(self.ctx.audit.record, account.username, "login", f"user:{account.username}",
                                client=client)
        request.session.pop("login_csrf", None)
        response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
        set_session_cookie(response, token, secure=self.ctx.config.cookie_secure,
                           max_age=self.ctx.config.session_max_s)
        return response

    def _audit_failure(self, username: str, client: str, action: str, until: datetime | None) -> None:
        """A failed login, an attempt on a locked name, or the lock itself, in the audit log (the name as typed,
        never the password)."""
        name = normalize_username(username)[:64] or "(trống)"
        self.ctx.audit.record(name, action, f"user:{name}", client=client,
                              after={"until": vn_datetime(until)} if until else None)

    async def logout(self, request: Request) -> Response:
        """End the session on the server (the cookie alone is worthless afterwards)."""
        account = request.state.account
        await run_in_threadpool(self.ctx.accounts.close_session, request.cookies.get(COOKIE))
        await run_in_threadpool(self.ctx.audit.record, account.username, "logout", f"user:{account.username}",
                                client=client_of(request))
        response = RedirectResponse("/console/login", status_code=303)
        clear_session_cookie(response, secure=self.ctx.config.cookie_secure)
        return response
