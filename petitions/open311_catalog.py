"""What Open311 GeoReport v2 sees of the petitions: the service list and the public view of a petition.

Services come from the routing table (petitions/data/agencies.yml): per agency one general service (code = the
agency code) and one per example topic (code = agency code + "__" + the topic folded to a slug), plus the fallback
agency as "not sure who handles it" (the triage queue). A partner choosing a service chooses the routing decision,
as a citizen choosing a category does in any 311 app.

The public view is deliberately narrow. It carries the tracking code, status, agency, the service, the dates and the
commune's official name, never the text, the phone, the chat identity, a commune typed but not matched (free text
may name a person or a house), or the consent. The operator's answer is published as `status_notes` only for
petitions filed through Open311 (it is how the answer reaches that channel) and never for a tố cáo (Luật Tố cáo
2018: the outcome goes to the denouncer alone); other petitions show their status label.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from nlp.text import fold
from petitions.communes import CommuneDirectory
from petitions.models import STATUS_LABELS
from petitions.records import PetitionRecord
from petitions.routing_table import RoutingTable
from petitions.vn_time import VN_TZ

CHANNEL = "open311"
SEPARATOR = "__"
OPEN = ("moi", "dang-xu-ly")
CLOSED = ("da-tra-loi", "da-dong", "khong-xu-ly")
KIND_VALUES = (
    ("phan-anh-kien-nghi", "Phản ánh, kiến nghị"),
    ("khieu-nai", "Khiếu nại"),
    ("to-cao", "Tố cáo"),
)
CONSENT_VALUES = (
    ("yes", "Công dân đã đồng ý cho xử lý dữ liệu cá nhân (có thể kèm số điện thoại)"),
    ("no", "Gửi ẩn danh: không kèm thông tin liên lạc"),
)
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG_RE.sub("-", fold(text).lower()).strip("-")[:80]


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str  # the agency's name
    keywords: str
    agency: str
    topic: str


class Catalogue:
    """The services of the routing table, in the table's order."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        services: list[Service] = []
        for agency in table.agencies:
            keywords = ", ".join(agency.keywords)
            if agency.code == table.fallback:
                services.append(Service(agency.code, agency.name, agency.description, agency.name, keywords,
                                        agency.code, agency.name))
                continue
            services.append(Service(agency.code, f"{agency.name}: nội dung khác", agency.description, agency.name,
                                    keywords, agency.code, ""))
            seen: set[str] = set()
            for example in agency.examples:
                topic_slug = slug(example.topic)
                if not topic_slug or topic_slug in seen:
                    continue
                seen.add(topic_slug)
                services.append(Service(f"{agency.code}{SEPARATOR}{topic_slug}", example.topic, agency.description,
                                        agency.name, keywords, agency.code, example.topic))
        self.services = tuple(services)
        self._by_code = {s.code: s for s in services}

    def get(self, code: str) -> Service | None:
        return self._by_code.get(code)

    def of_petition(self, record: PetitionRecord) -> Service:
        """The service a stored petition belongs to: its agency and topic, else its agency's general service."""
        specific = self._by_code.get(f"{record.agency}{SEPARATOR}{slug(record.topic or '')}")
        if specific is not None:
            return specific
        general = self._by_code.get(record.agency)
        if general is not None:
            return general
        return Service(record.agency, record.topic or record.agency, "", record.agency, "", record.agency, "")


def attributes() -> list[dict[str, Any]]:
    """The service definition's attributes (the same for every service)."""
    return [
        {
            "variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
            "datatype_description": "Một trong các khóa đã nêu; bỏ trống thì hệ thống đọc từ nội dung.",
            "order": 1, "description": "Loại đơn",
            "values": [{"key": k, "name": n} for k, n in KIND_VALUES],
        },
        {
            "variable": True, "code": "consent", "datatype": "singlevaluelist", "required": False,
            "datatype_description": (
                "yes: đối tác xác nhận công dân đã đồng ý với điều khoản xử lý dữ liệu cá nhân trên ứng dụng của "
                "đối tác (bắt buộc khi gửi số điện thoại); no hoặc bỏ trống: gửi ẩn danh."
            ),
            "order": 2, "description": "Đồng ý xử lý dữ liệu cá nhân",
            "values": [{"key": k, "name": n} for k, n in CONSENT_VALUES],
        },
    ]


def w3(value: datetime | None) -> str | None:
    """A W3C datetime in Vietnam's time, as GeoReport's examples write them (2010-04-14T06:37:38-08:00)."""
    if value is None:
        return None
    return value.astimezone(VN_TZ).replace(microsecond=0).isoformat()


def _end_of(day: date | None) -> str | None:
    if day is None:
        return None
    return w3(datetime.combine(day, time(23, 59, 59), tzinfo=VN_TZ))


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN else "closed"


def public_view(record: PetitionRecord, catalogue: Catalogue, communes: CommuneDirectory | None) -> dict[str, Any]:
    """The GeoReport `request` of a petition: public fields only (see the module's docstring)."""
    service = catalogue.of_petition(record)
    commune = communes.get(record.commune_code) if (communes is not None and record.commune_code) else None
    address = commune.full_name if commune is not None else None
    agency = catalogue.table.name_of(record.agency)
    if record.agency == catalogue.table.local_agency and address:
        agency = f"UBND {address}"
    notes = STATUS_LABELS.get(record.status, record.status)
    if record.answer and record.channel == CHANNEL and record.kind != "to-cao":
        notes = record.answer
    return {
        "service_request_id": record.code,
        "status": open_or_closed(record.status),
        "status_notes": notes,
        "service_name": service.name,
        "service_code": service.code,
        "description": None,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": w3(record.created_at),
        "updated_datetime": w3(record.updated_at),
        "expected_datetime": _end_of(record.due_date) if record.status in OPEN else None,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
