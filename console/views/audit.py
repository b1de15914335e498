"""The audit log page (admins): console actions newest first, filtered by user, action, petition and date, paged in
SQL. Failed logins, attempts on a locked name and the lockouts themselves are entries like any other."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from console.audit import ACTION_LABELS, LOGIN_FAILURES
from console.context import ConsoleContext
from console.templating import VN_TZ, render
from petitions import codes

PAGE = 100
FAILED_LOGINS = "dang-nhap-that-bai"  # the filter choice grouping failed logins and lockouts
ACTION_CHOICES = {FAILED_LOGINS: "Đăng nhập thất bại, khóa tài khoản", **ACTION_LABELS}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _vn_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=VN_TZ).astimezone(UTC)


@dataclass(frozen=True)
class AuditQuery:
    """The audit page's filters, checked (an unknown action or a malformed date means "no filter")."""

    user: str = ""
    action: str = ""
    code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> AuditQuery:
        action = params.get("action") or ""
        try:
            page = max(1, min(int(params.get("page") or 1), 100000))
        except ValueError:
            page = 1
        typed_code = (params.get("code") or "").strip()[:32]
        return cls(user=(params.get("user") or "").strip()[:64],
                   action=action if action in ACTION_CHOICES else "",
                   code=codes.normalize_code(typed_code) or typed_code if typed_code else "",
                   date_from=_date(params.get("from")), date_to=_date(params.get("to")), page=page)

    def store_filters(self) -> dict[str, Any]:
        actions: tuple[str, ...] = ()
        if self.action == FAILED_LOGINS:
            actions = LOGIN_FAILURES
        elif self.action:
            actions = (self.action,)
        return {"actor": self.user or None, "actions": actions, "target": self.code or None,
                "since": _vn_midnight(self.date_from) if self.date_from else None,
                "until": _vn_midnight(self.date_to + timedelta(days=1)) if self.date_to else None}

    def query_string(self, **changes: Any) -> str:
        query = replace(self, **changes) if changes else self
        values = {"user": query.user, "action": query.action, "code": query.code,
                  "from": query.date_from.isoformat() if query.date_from else "",
                  "to": query.date_to.isoformat() if query.date_to else "",
                  "page": str(query.page) if query.page > 1 else ""}
        return urlencode({k: v for k, v in values.items() if v})


class AuditViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    def _load(self, query: AuditQuery) -> tuple[list, int]:
        filters = query.store_filters()
        total = self.ctx.audit.count(**filters)
        entries = self.ctx.audit.entries(**filters, limit=PAGE, offset=(query.page - 1) * PAGE)
        return entries, total

    async def page(self, request: Request) -> Response:
        query = AuditQuery.from_params(request.query_params)
        entries, total = await run_in_threadpool(self._load, query)
        return render(self.templates, request, "console/audit.html",
                      {"entries": entries, "query": query, "total": total, "pages": max(1, -(-total // PAGE)),
                       "action_choices": ACTION_CHOICES, "agency_name": self.ctx.agencies.name})
