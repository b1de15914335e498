"""The console's Jinja environment: autoescaping everywhere, Vietnamese date formats, labels, the CSRF field."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from console.security import CSRF_FIELD
from petitions.models import KIND_LABELS, STATUS_LABELS
from petitions.vn_time import VN_TZ, vn_date, vn_datetime  # noqa: F401 - VN_TZ re-exported for the console

TEMPLATES = Path(__file__).resolve().parent / "templates"

CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "web": "Trang web", "rest": "Trang web"}
DELIVERY_LABELS = {
    "none": "Chưa có câu trả lời",
    "pending": "Chờ gửi",
    "sent": "Đã gửi tới người dân",
    "failed": "Gửi không thành công",
    "not-deliverable": "Không gửi được (người dân gửi ẩn danh)",
}


AUDIT_FIELDS = {
    "status": "Trạng thái",
    "agency": "Cơ quan",
    "delivery_state": "Gửi tới người dân",
    "reason": "Lý do",
    "ok": "Kết quả gửi",
    "error": "Lỗi",
    "rows": "Số dòng",
    "filters": "Bộ lọc",
    "title": "Tài liệu",
    "passages": "Số đoạn",
    "state": "Kết quả",
    "until": "Khóa đến",
}
SYSTEM_ACTORS = {"he-thong": "Hệ thống", "nguoi-dan": "Người dân"}


# The queue's query-string keys, as an export's audit entry names them.
FILTER_LABELS = {"status": "Trạng thái", "agency": "Cơ quan", "commune": "Xã/phường", "kind": "Loại",
                 "overdue": "Chỉ hồ sơ quá hạn", "triage": "Chỉ hồ sơ chờ phân loại", "from": "Từ ngày",
                 "to": "Đến ngày", "q": "Tìm"}
STATUS_FILTER_LABELS = {"mo": "Đang mở", "tat-ca": "Tất cả", **STATUS_LABELS}


def _filter_value(key: str, value: Any, agency_name: Any) -> str:
    if key == "status":
        return STATUS_FILTER_LABELS.get(value, value)
    if key == "kind":
        return KIND_LABELS.get(value, value)
    if key == "agency" and agency_name is not None:
        return agency_name(value)
    if key == "overdue":
        return "có"
    return str(value)


def audit_fields(values: dict[str, Any] | None, agency_name: Any = None) -> list[tuple[str, str]]:
    """An audit entry's before/after state as Vietnamese (label, value) pairs; the answer text itself is left out."""
    shown = []
    for key, value in (values or {}).items():
        if value is None or key == "answer":
            continue
        if key == "status":
            value = STATUS_LABELS.get(value, value)
        elif key == "agency" and agency_name is not None:
            value = agency_name(value)
        elif key == "delivery_state":
            value = DELIVERY_LABELS.get(value, value)
        elif key == "ok":
            value = "thành công" if value else "không thành công"
        elif key == "filters" and isinstance(value, dict):
            value = "; ".join(f"{FILTER_LABELS.get(k, k)}: {_filter_value(k, v, agency_name)}"
                              for k, v in value.items()) or "không"
        shown.append((AUDIT_FIELDS.get(key, key), str(value)))
    return shown


def audit_target(target: str) -> str:
    """"user:x" -> "Tài khoản x", "doc:y" -> "Tài liệu y", "queue" -> the queue; petition codes stay as they are."""
    kind, _, rest = target.partition(":")
    if kind == "user" and rest:
        return f"Tài khoản {rest}"
    if kind == "doc" and rest:
        return f"Tài liệu {rest}"
    if target == "queue":
        return "Danh sách hồ sơ"
    if target == "routing-corrections":
        return "Dữ liệu sửa định tuyến"
    return target


def actor_name(actor: str) -> str:
    return SYSTEM_ACTORS.get(actor, actor)


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_datetime=vn_datetime, vn_date=vn_date, percent=percent, audit_fields=audit_fields,
                       actor_name=actor_name, audit_target=audit_target)
    env.globals.update(CHANNEL_LABELS=CHANNEL_LABELS, DELIVERY_LABELS=DELIVERY_LABELS, status_labels=STATUS_LABELS)
    return Jinja2Templates(env=env)


def csrf_input(request: Request) -> Markup:
    """The hidden field every console form carries."""
    token = request.state.signed.csrf_token
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


def render(templates: Jinja2Templates, request: Request, name: str, context: dict[str, Any],
           status_code: int = 200) -> Response:
    """Render a console page with the signed-in account, its CSRF field, and the one-shot flash messages."""
    signed_in = getattr(request.state, "signed", None) is not None
    base: dict[str, Any] = {
        "account": getattr(request.state, "account", None),
        "flash": request.session.pop("flash", []),
        "csrf": csrf_input(request) if signed_in else Markup(""),
        **context,
    }
    return templates.TemplateResponse(request, name, base, status_code=status_code)


def flash(request: Request, text: str, kind: str = "ok") -> None:
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": text})
    request.session["flash"] = messages[-5:]
