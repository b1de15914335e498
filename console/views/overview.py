"""The overview page: counts, charts drawn on the server, and the hotspot list."""
from __future__ import annotations

import asyncio
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.charts import column_chart, hbar_chart
from console.context import ConsoleContext
from console.corrections import correction_lines
from console.hotspots import Hotspot, current_hotspots
from console.overview import Overview, compute
from console.queue import today
from console.security import client_of
from console.templating import render


class OverviewViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    def _figures(self, account: Account, day: date) -> Overview:
        return compute(self.ctx.store, account, day, commune_label=self._commune_label)

    def _hotspots(self, account: Account, day: date) -> list[tuple[Hotspot, list[str]]]:
        """Hotspots are found among everyone's petitions; an account sees those with at least two of its own, and
        only the codes of its own."""
        found = []
        for spot in current_hotspots(self.ctx.store, day, self.ctx.config.hotspots):
            visible = spot.codes_seen_by(account.sees)
            if len(visible) >= 2:
                found.append((spot, visible))
        return found

    def _commune_label(self, code: str) -> str | None:
        commune = self.ctx.communes.get(code) if self.ctx.communes is not None else None
        return commune.full_name if commune else None

    async def corrections(self, request: Request) -> Response:
        """Routing corrections (admins) as JSON lines, streamed; the export itself is audited."""
        account: Account = request.state.account
        await run_in_threadpool(self.ctx.audit.record, account.username, "export", "routing-corrections",
                                client=client_of(request))
        lines = correction_lines(self.ctx.audit, self.ctx.store)
        filename = f"sua-dinh-tuyen-{today().isoformat()}.jsonl"
        return StreamingResponse((line.encode("utf-8") for line in lines),
                                 media_type="application/x-ndjson; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    async def page(self, request: Request) -> Response:
        account: Account = request.state.account
        day = today()
        # Two independent reads, side by side: the databases do most of the work outside the GIL, so the page waits
        # about as long as the slower of the two.
        data, hotspots = await asyncio.gather(run_in_threadpool(self._figures, account, day),
                                              run_in_threadpool(self._hotspots, account, day))
        name = self.ctx.agencies.name
        charts = {
            "agency": hbar_chart([(name(code), n) for code, n in data.per_agency], "Số phản ánh theo cơ quan xử lý"),
            "commune": hbar_chart(data.per_commune, "Số phản ánh theo xã, phường (nhiều nhất)"),
            "week": column_chart([(d.strftime("%d/%m"), n) for d, n in data.per_week],
                                 "Số phản ánh tiếp nhận theo tuần (12 tuần gần nhất)"),
        }
        return render(self.templates, request, "console/overview.html", {
            "data": data, "charts": charts, "hotspots": hotspots, "agency_name": name,
            "hotspot_rule": self.ctx.config.hotspots,
        })
