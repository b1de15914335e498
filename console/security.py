"""Who is asking, and may they: the session cookie, CSRF tokens, roles, and the console's response headers.

Every console route goes through `guarded`: it resolves the session (or redirects to the login page), checks the
role, and for every POST checks the form's CSRF token against the session's before the handler runs. Agency scope
(an operator sees only their agency) is enforced by the handlers through `Account.sees_record` and the queue
filter, and an out-of-scope petition answers 404 exactly like a missing one.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.accounts import SignedIn

if TYPE_CHECKING:
    from console.context import ConsoleContext

log = logging.getLogger(__name__)

COOKIE = "danvan_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"

Handler = Callable[[Request], Awaitable[Response]]


class Forbidden(Exception):
    """The signed-in account may not do this (wrong role)."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token (or from another origin)."""


class NotFound(Exception):
    """No such petition, or one outside the account's agency: both look the same from outside."""


def client_of(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy said (ClientAddress middleware, console/app.py)."""
    return request.client.host if request.client else ""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """"10.0.0.1, 192.168.0.0/24" → networks; a value that is neither an address nor a network is an error."""
    out: list[Network] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network in the trusted proxies: {value!r}") from exc
    return tuple(out)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51000"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def real_client(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client address behind trusted proxies: X-Forwarded-For is read only when the peer is a trusted proxy, from
    the right, skipping trusted hops; the first untrusted hop is the client. Entries further left were written by
    the client itself and are never believed."""

    def is_trusted(value: str) -> bool:
        address = _address(value)
        return address is not None and any(address in net for net in trusted)

    if not trusted or not is_trusted(peer):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage the nearest proxy passed along: keep the last address we can vouch for
        client = str(address)
        if not is_trusted(hop):
            break
    return client


def tokens_match(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def check_origin(request: Request) -> None:
    """Refuse a POST whose Origin (when the browser sends one) is another site; the token check still follows."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise CsrfRejected("cross-origin POST")


def login_csrf(request: Request) -> str:
    """A token for the login form, kept in the signed pre-login cookie session."""
    token = request.session.get("login_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["login_csrf"] = token
    return token


def set_session_cookie(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=secure)


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only a local console path may be a post-login destination (no open redirect)."""
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/"


def guarded(ctx: ConsoleContext, handler: Handler, *, admin: bool = False) -> Handler:
    """Wrap a handler: signed-in session required, admin role when asked, CSRF token on every POST."""

    async def endpoint(request: Request) -> Response:
        await run_in_threadpool(ctx.ready)
        signed: SignedIn | None = await run_in_threadpool(ctx.accounts.resume, request.cookies.get(COOKIE))
        if signed is None:
            if request.method == "POST":
                raise CsrfRejected("no session")
            return login_redirect(request)
        request.state.signed = signed
        request.state.account = signed.account
        if admin and not signed.account.is_admin:
            raise Forbidden()
        if request.method == "POST":
            check_origin(request)
            form = await request.form()
            if not tokens_match(signed.csrf_token, form.get(CSRF_FIELD)):
                log.warning("console POST rejected: bad CSRF token")
                raise CsrfRejected("bad token")
        return await handler(request)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    return endpoint


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def add_security_headers(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response
