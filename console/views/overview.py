"""The overview page: counts, charts drawn on the server, and the hotspot list."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.charts import column_chart, hbar_chart
from console.context import ConsoleContext
from console.corrections import correction_lines
from console.hotspots import LOOKBACK, MIN_SIZE, WINDOW, current_hotspots
from console.overview import compute
from console.queue import today
from console.security import client_of
from console.templating import render


class OverviewViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    def _load(self, account: Account) -> dict:
        day = today()
        data = compute(self.ctx.store, account, day, commune_label=self._commune_label)
        hotspots = []
        for spot in current_hotspots(self.ctx.store, day):
            visible = [r for r in spot.records if account.sees_record(r)]
            if len(visible) >= 2:
                hotspots.append((spot, visible))
        return {"data": data, "hotspots": hotspots}

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
        loaded = await run_in_threadpool(self._load, account)
        data = loaded["data"]
        name = self.ctx.agencies.name
        charts = {
            "agency": hbar_chart([(name(code), n) for code, n in data.per_agency], "Số phản ánh theo cơ quan xử lý"),
            "commune": hbar_chart(data.per_commune, "Số phản ánh theo xã, phường (nhiều nhất)"),
            "week": column_chart([(d.strftime("%d/%m"), n) for d, n in data.per_week],
                                 "Số phản ánh tiếp nhận theo tuần (12 tuần gần nhất)"),
        }
        return render(self.templates, request, "console/overview.html", {
            "data": data, "charts": charts, "hotspots": loaded["hotspots"], "agency_name": name,
            "hotspot_rule": {"size": MIN_SIZE, "window_days": WINDOW.days, "lookback_days": LOOKBACK.days},
        })
