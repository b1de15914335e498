"""The queue page and its CSV export."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.context import ConsoleContext
from console.export import csv_chunks
from console.queue import (
    ALL,
    OPEN,
    PAGE_SIZE,
    STATUS_CHOICES,
    QueueQuery,
    today,
    urgency,
)
from console.security import client_of
from console.templating import render
from petitions.models import KIND_LABELS, STATUS_LABELS, STATUSES


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    total: int
    counts: dict[str, int]
    pages: int


class QueueViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    def _load(self, query: QueueQuery, account: Account, day: date) -> QueuePage:
        store = self.ctx.store
        wanted = query.to_filter(account, today=day)
        by_status = store.counts_by("status", query.to_filter(account, with_status=False, today=day))
        counts = {s: by_status.get(s, 0) for s in STATUSES}
        counts[OPEN] = counts["moi"] + counts["dang-xu-ly"]
        counts[ALL] = sum(by_status.values())
        total = counts.get(query.status, 0) if query.status in counts else store.count(wanted)
        records = store.queue_page(wanted, limit=PAGE_SIZE, offset=(query.page - 1) * PAGE_SIZE)
        rows = [{"r": r, "urgency": urgency(r, day, self.ctx.config.near_due_days),
                 "agency_name": self.ctx.agencies.name(r.agency)} for r in records]
        pages = max(1, -(-total // PAGE_SIZE))
        return QueuePage(rows, total, counts, pages)

    def _choices(self, account: Account) -> dict[str, Any]:
        agencies = [(a.code, a.name) for a in self.ctx.agencies.all()]
        communes = []
        if self.ctx.communes is not None:
            communes = sorted(((c.code, c.full_name) for c in self.ctx.communes.communes), key=lambda x: x[1])
        return {"agency_choices": agencies if account.is_admin else [],
                "commune_choices": communes, "commune_filter": account.is_admin or not account.commune,
                "status_choices": STATUS_CHOICES, "kind_choices": KIND_LABELS,
                "status_labels": STATUS_LABELS}

    @staticmethod
    def _query(request: Request, account: Account) -> QueueQuery:
        query = QueueQuery.from_params(request.query_params)
        if account.is_admin:
            return query
        return replace(query, agency="", commune="" if account.commune else query.commune)

    def _commune_name(self, code: str) -> str:
        commune = self.ctx.communes.get(code) if self.ctx.communes is not None else None
        return commune.full_name if commune else code

    async def page(self, request: Request) -> Response:
        account: Account = request.state.account
        query = self._query(request, account)
        day = today()
        data = await run_in_threadpool(self._load, query, account, day)
        return render(self.templates, request, "console/queue.html", {
            "query": query, "page": data, "today": day, **self._choices(account),
            "agency_name": self.ctx.agencies.name, "commune_name": self._commune_name,
        })

    async def export(self, request: Request) -> Response:
        """The filtered list as CSV (every page, not just the one shown), within the account's scope, streamed
        row by row from one query: its cost grows linearly with the rows and its memory does not grow at all."""
        account: Account = request.state.account
        query = self._query(request, account)
        day = today()
        wanted = query.to_filter(account, today=day)
        rows = await run_in_threadpool(self.ctx.store.count, wanted)
        await run_in_threadpool(self.ctx.audit.record, account.username, "export", "queue",
                                agency=None if account.is_admin else account.agency,
                                after={"filters": query.params(page=1), "rows": rows},
                                client=client_of(request))
        body = csv_chunks(self.ctx.store.iter_queue(wanted), self.ctx.agencies.name)
        filename = f"phan-anh-{day.isoformat()}.csv"
        return StreamingResponse(body, media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
