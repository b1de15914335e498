"""The overview page: counts, charts drawn on the server, and the hotspot list."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.charts import column_chart, hbar_chart
from console.context import ConsoleContext
from console.hotspots import current_hotspots
from console.overview import compute
from console.queue import today
from console.templating import render


class OverviewViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    def _load(self, account: Account) -> dict:
        day = today()
        data = compute(self.ctx.store, account, day)
        hotspots = []
        for spot in current_hotspots(self.ctx.store, day):
            visible = [r for r in spot.records if account.sees_record(r)]
            if len(visible) >= 2:
                hotspots.append((spot, visible))
        return {"data": data, "hotspots": hotspots}

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
        })
