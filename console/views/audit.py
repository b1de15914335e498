"""The audit log page (admins): the latest console actions, newest first."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from console.context import ConsoleContext
from console.templating import render

PAGE = 100


class AuditViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    async def page(self, request: Request) -> Response:
        try:
            page = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            page = 1
        entries = await run_in_threadpool(self.ctx.audit.entries, limit=PAGE, offset=(page - 1) * PAGE)
        return render(self.templates, request, "console/audit.html",
                      {"entries": entries, "page_no": page, "has_next": len(entries) == PAGE,
                       "agency_name": self.ctx.agencies.name})
