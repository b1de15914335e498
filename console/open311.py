"""Open311 GeoReport v2 under /open311/v2/: the service list, service definitions, public service requests, and
filing a petition for a partner holding an API key (FixMyStreet, SeeClickFix and city 311 apps speak this).

Every answer exists as JSON and as XML (the path's extension picks); every error is the spec's error array with
its HTTP code, in the same format. Filing goes through `PetitionService.submit`, like the chat: the same checks,
deadlines and tracking codes. The service_code is the routing decision (petitions/open311_catalog.py), so the web
app needs no routing model. Reads need no key; a POST needs a partner's key (`danvan partner add`) and is limited
per key and minute.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.throttle import RateLimiter, Window
from console.context import ConsoleContext
from petitions.codes import normalize_code
from petitions.consent import CONSENT_TEXT_VI, ConsentRecord
from petitions.models import KIND_LABELS
from petitions.open311_catalog import (
    CHANNEL,
    CLOSED,
    CONSENT_VALUES,
    KIND_VALUES,
    OPEN,
    Catalogue,
    Service,
    attributes,
    public_view,
)
from petitions.open311_keys import Partner, PartnerKeys
from petitions.records import VN_TZ, PetitionFilter
from petitions.validation import InputError

log = logging.getLogger(__name__)

DEFAULT_JURISDICTION = "tayninh.gov.vn"
MAX_RESULTS = 1000
WINDOW_DAYS = 90
_PLURALS = {"attributes": "attribute", "values": "value"}
_ACCOUNT_MAX = 64


def partner_consent_text(partner: str) -> str:
    """What is recorded as the consent of a citizen filing through a partner's app."""
    return (f"[Open311] Đối tác «{partner}» xác nhận công dân đã đồng ý trên ứng dụng của đối tác với nội dung "
            f"sau:\n{CONSENT_TEXT_VI}")


class Open311Error(Exception):
    """An error GeoReport clients understand: `[{"code": status, "description": ...}]`."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


# -- formats ----------------------------------------------------------------------------------------------------------


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _xml_fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, list):
            for item in value:
                _xml_fill(ET.SubElement(child, _PLURALS.get(key, "item")), item)
        elif isinstance(value, dict):
            _xml_fill(child, value)
        else:
            child.text = _xml_text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """GeoReport's XML: a list becomes <root><item>…</item>…</root>, a mapping <root>…</root>."""
    element = ET.Element(root)
    if item is None:
        _xml_fill(element, data)
    else:
        for entry in data:
            _xml_fill(ET.SubElement(element, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def respond(fmt: str, root: str, item: str | None, data: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type="text/xml; charset=utf-8",
                        headers=headers)
    return JSONResponse(data, status_code=status, headers=headers)


def error_response(fmt: str, exc: Open311Error) -> Response:
    body = [{"code": exc.status, "description": exc.description}]
    return respond(fmt if fmt in ("json", "xml") else "json", "errors", "error", body, exc.status, exc.headers)


Endpoint = Callable[[Request, str], Awaitable[Response]]


def _handled(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """Reads the format from the path and turns Open311Error into the spec's error array (one place per edge)."""

    async def handler(request: Request) -> Response:
        fmt = request.path_params.get("fmt", "json")
        try:
            if fmt not in ("json", "xml"):
                raise Open311Error(404, f"format {fmt!r} not supported: use .json or .xml")
            return await endpoint(request, fmt)
        except Open311Error as exc:
            return error_response(fmt, exc)

    return handler


# -- parameters -------------------------------------------------------------------------------------------------------


def _w3_date(name: str, raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name}: not a W3C datetime (e.g. 2026-12-01T00:00:00Z)") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


class Open311Api:
    """The endpoints; collaborators are built on first use from the console's context."""

    def __init__(self, ctx: ConsoleContext) -> None:
        self.ctx = ctx
        extra = ctx.config.extra
        self.jurisdiction = str(extra.get("open311_jurisdiction") or DEFAULT_JURISDICTION)
        self._limiters: dict[tuple[int, int], RateLimiter] = {}

    @cached_property
    def catalogue(self) -> Catalogue:
        from petitions.routing_table import RoutingTable

        if self.ctx.config.agencies_file is None:
            raise RuntimeError("WebConfig.agencies_file is empty: Open311 needs the routing table")
        return Catalogue(RoutingTable.load(self.ctx.config.agencies_file))

    @cached_property
    def petitions(self) -> Any:
        """The chat's petition workflow on the console's store; routing comes from the chosen service."""
        from petitions.communes import CommuneDirectory
        from petitions.deadlines import DeadlinePolicy
        from petitions.service import PetitionService

        config = self.ctx.config
        table_dir = config.agencies_file.parent if config.agencies_file else Path(".")
        deadlines = config.extra.get("deadlines_file") or table_dir / "deadlines.yml"
        communes = self.ctx.communes or CommuneDirectory([])
        router: Any = _ServiceRouter(self.catalogue)  # PetitionService reads only its `table` when given a route
        return PetitionService(self.ctx.store, router, communes, DeadlinePolicy.load(deadlines))

    @cached_property
    def partners(self) -> PartnerKeys:
        return PartnerKeys(self.ctx.store.engine)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/services.{fmt}", _handled(self.services), methods=["GET"]),
            Route("/services/{service_code}.{fmt}", _handled(self.definition), methods=["GET"]),
            Route("/requests.{fmt}", _handled(self.requests), methods=["GET"]),
            Route("/requests.{fmt}", _handled(self.post_request), methods=["POST"]),
            Route("/requests/{request_id}.{fmt}", _handled(self.request), methods=["GET"]),
            Route("/tokens/{token}.{fmt}", _handled(self.token), methods=["GET"]),
        ]

    # -- shared checks ----------------------------------------------------------------------------------------------

    def _jurisdiction(self, params: Any) -> None:
        wanted = (params.get("jurisdiction_id") or "").strip()
        if wanted and wanted != self.jurisdiction:
            raise Open311Error(404, f"jurisdiction_id {wanted!r} not found; this endpoint serves {self.jurisdiction}")

    def _service(self, code: str | None) -> Service:
        service = self.catalogue.get(code or "")
        if service is None:
            raise Open311Error(404, f"service_code {code!r} not found")
        return service

    # -- reads ------------------------------------------------------------------------------------------------------

    async def services(self, request: Request, fmt: str) -> Response:
        """GET Service List."""
        self._jurisdiction(request.query_params)
        body = [{"service_code": s.code, "service_name": s.name, "description": s.description, "metadata": True,
                 "type": "realtime", "keywords": s.keywords, "group": s.group} for s in self.catalogue.services]
        return respond(fmt, "services", "service", body)

    async def definition(self, request: Request, fmt: str) -> Response:
        """GET Service Definition: the kind of petition and the consent, for every service."""
        self._jurisdiction(request.query_params)
        service = self._service(request.path_params["service_code"])
        return respond(fmt, "service_definition", None, {"service_code": service.code, "attributes": attributes()})

    async def requests(self, request: Request, fmt: str) -> Response:
        """GET Service Requests: newest first, the last 90 days unless dates are given, at most 1,000."""
        params = request.query_params
        self._jurisdiction(params)
        ids = _csv(params.get("service_request_id"))
        if ids:
            records = await run_in_threadpool(self._by_codes, ids)
        else:
            records = await run_in_threadpool(self._search, params)
        views = [public_view(r, self.catalogue, self.ctx.communes) for r in records]
        return respond(fmt, "service_requests", "request", views)

    async def request(self, request: Request, fmt: str) -> Response:
        """GET Service Request."""
        self._jurisdiction(request.query_params)
        request_id = request.path_params["request_id"]
        records = await run_in_threadpool(self._by_codes, [request_id])
        if not records:
            raise Open311Error(404, f"service_request_id {request_id!r} not found")
        return respond(fmt, "service_requests", "request", [public_view(records[0], self.catalogue,
                                                                          self.ctx.communes)])

    async def token(self, request: Request, fmt: str) -> Response:
        """GET request id from a token. Filing is realtime here, so the only tokens are the request ids themselves."""
        self._jurisdiction(request.query_params)
        token = request.path_params["token"]
        records = await run_in_threadpool(self._by_codes, [token])
        if not records:
            raise Open311Error(404, f"token {token!r} not found (requests are filed in real time: POST returns "
                                    "service_request_id)")
        return respond(fmt, "service_requests", "request",
                       [{"service_request_id": records[0].code, "token": token}])

    def _by_codes(self, ids: list[str]) -> list[Any]:
        found = []
        for raw in ids[:MAX_RESULTS]:
            code = normalize_code(raw)
            record = self.ctx.store.get_by_code(code) if code else None
            if record is not None:
                found.append(record)
        return found

    def _search(self, params: Any) -> list[Any]:
        now = datetime.now(UTC)
        end = _w3_date("end_date", params["end_date"]) if params.get("end_date") else now
        start = _w3_date("start_date", params["start_date"]) if params.get("start_date") else None
        if start is None:
            start = end - timedelta(days=WINDOW_DAYS)
        if start > end:
            raise Open311Error(400, "start_date: later than end_date")
        if end - start > timedelta(days=WINDOW_DAYS):
            raise Open311Error(400, f"start_date: the range may not span more than {WINDOW_DAYS} days")
        statuses: list[str] = []
        for status in _csv(params.get("status")):
            if status not in ("open", "closed"):
                raise Open311Error(400, f"status: {status!r} is neither open nor closed")
            statuses.extend(OPEN if status == "open" else CLOSED)
        codes = set(_csv(params.get("service_code")))
        for code in codes:
            self._service(code)
        filters = PetitionFilter(status=tuple(statuses) or None,
                                 created_from=start.astimezone(VN_TZ).date() - timedelta(days=1),
                                 created_to=end.astimezone(VN_TZ).date() + timedelta(days=1))
        rows = self.ctx.store.list(filters, limit=MAX_RESULTS * 2)
        picked = [r for r in rows if start <= r.created_at <= end
                  and (not codes or self.catalogue.of_petition(r).code in codes)]
        return picked[:MAX_RESULTS]

    # -- filing -----------------------------------------------------------------------------------------------------

    def _limiter(self, partner: Partner) -> RateLimiter:
        key = (partner.id, partner.per_minute)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter([Window(partner.per_minute, 60.0)], max_keys=16)
        return limiter

    async def post_request(self, request: Request, fmt: str) -> Response:
        """POST Service Request: file a petition for a partner's citizen."""
        form = await request.form()
        fields = {**{k: v for k, v in request.query_params.items()},
                  **{k: v for k, v in form.items() if isinstance(v, str)}}
        partner = await run_in_threadpool(self.partners.check, fields.get("api_key"))
        if partner is None:
            raise Open311Error(403, "api_key: missing, unknown or revoked")
        if not self._limiter(partner).hit(f"partner:{partner.id}"):
            log.warning("open311 partner %s over its limit of %d requests per minute", partner.name,
                        partner.per_minute)
            raise Open311Error(429, f"rate limit: at most {partner.per_minute} requests per minute for this api_key",
                               {"Retry-After": "60"})
        self._jurisdiction(fields)
        if not (fields.get("service_code") or "").strip():
            raise Open311Error(400, "service_code: required")
        service = self._service(fields["service_code"].strip())
        receipt = await run_in_threadpool(self._file, partner, service, fields)
        notice = f"Đã chuyển đến {receipt.agency_display}."
        if receipt.due_date:
            notice += f" Hạn giải quyết dự kiến: {receipt.due_date.strftime('%d/%m/%Y')}."
        body = [{"service_request_id": receipt.code, "service_notice": notice,
                 "account_id": fields.get("account_id") or None}]
        return respond(fmt, "service_requests", "request", body, status=201 if receipt.created else 200)

    def _file(self, partner: Partner, service: Service, fields: dict[str, str]) -> Any:
        service_api = self.petitions
        description = fields.get("description")
        address = (fields.get("address_string") or "").strip() or None
        has_point = bool((fields.get("lat") or "").strip() and (fields.get("long") or "").strip())
        if address is None and not has_point and not (fields.get("address_id") or "").strip():
            raise Open311Error(400, "address_string: required (the commune, e.g. \"phường Tân Ninh\"), "
                                    "or lat and long")
        kind = (fields.get("attribute[kind]") or "").strip() or None
        if kind is not None and kind not in KIND_LABELS:
            raise Open311Error(400, f"attribute[kind]: one of {', '.join(k for k, _ in KIND_VALUES)}")
        consent_raw = (fields.get("attribute[consent]") or "no").strip()
        if consent_raw not in {k for k, _ in CONSENT_VALUES}:
            raise Open311Error(400, "attribute[consent]: yes or no")
        consent_given = consent_raw == "yes"
        phone = (fields.get("phone") or "").strip() or None
        if phone and not consent_given:
            raise Open311Error(400, "phone: a phone number needs attribute[consent]=yes (the citizen's consent); "
                                    "without it the petition is filed anonymously")
        account = (fields.get("account_id") or "").strip()
        if len(account) > _ACCOUNT_MAX or any(c.isspace() or not c.isprintable() for c in account):
            raise Open311Error(400, f"account_id: at most {_ACCOUNT_MAX} printable characters without spaces")
        try:
            matter = service_api.check_matter(description)
        except InputError as exc:
            raise Open311Error(400, f"description: {exc.message}") from exc
        try:
            commune = service_api.check_commune(address) if address else None
        except InputError as exc:
            raise Open311Error(400, f"address_string: {exc.message}") from exc
        try:
            contact = service_api.check_phone(phone, consent_given=True) if phone else None
        except InputError as exc:
            raise Open311Error(400, f"phone: {exc.message}") from exc
        sender = f"{CHANNEL}:{partner.name}" + (f":{account}" if account else "")
        consent = ConsentRecord.now(consent_given, partner_consent_text(partner.name))
        from petitions.router import Route as RoutingDecision  # sklearn and numpy load with it: only when filing

        table = self.catalogue.table
        route = RoutingDecision(service.agency, table.name_of(service.agency), 1.0, service.topic or service.name)
        key = service_api.content_key(f"{sender}|{service.code}", matter, address, contact)
        receipt = service_api.submit(channel=CHANNEL, sender_id=sender, text=matter, consent=consent,
                                     idempotency_key=key, commune=commune, phone=contact, kind=kind, route=route)
        log.info("open311: partner %s filed %s (%s)", partner.name, receipt.code,
                 "new" if receipt.created else "repeat")
        return receipt


class _ServiceRouter:
    """Stands in for the routing model: an Open311 petition's route is its service, so only the table is needed."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.table = catalogue.table

    def route(self, text: str) -> Any:
        raise RuntimeError("Open311 petitions are routed by their service_code")


def open311_routes(ctx: ConsoleContext) -> list[BaseRoute]:
    """The routes to mount at /open311/v2."""
    return Open311Api(ctx).routes()


