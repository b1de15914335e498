"""CSV export of the filtered queue, for Excel: UTF-8 with a byte-order mark, so Vietnamese shows correctly.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) get a leading apostrophe:
petition text is written by the public. Contact phone numbers are left out; the export is for statistics and
follow-up lists, and personal data stays in the console.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from petitions.store import PetitionRecord

from console.templating import vn_date, vn_datetime

BOM = "\ufeff"
HEADER = ["Mã hồ sơ", "Ngày tiếp nhận", "Hạn xử lý", "Quá hạn", "Trạng thái", "Loại", "Cơ quan xử lý", "Chủ đề",
          "Độ tin cậy phân loại", "Xã/phường", "Kênh", "Nội dung", "Ngày trả lời", "Người trả lời", "Trả lời"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def petitions_csv(records: Iterable[PetitionRecord], agency_name: Callable[[str], str]) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in records:
        writer.writerow([_cell(v) for v in (
            r.code, vn_datetime(r.created_at), vn_date(r.due_date), "Có" if r.is_overdue() else "Không",
            r.status_label, r.kind_label, agency_name(r.agency), r.topic, f"{r.confidence:.2f}",
            r.commune_name or "", r.channel, r.text, vn_datetime(r.answered_at), r.answered_by or "", r.answer or "",
        )])
    return buffer.getvalue()
