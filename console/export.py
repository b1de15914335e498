"""CSV export of the filtered queue, for Excel: UTF-8 with a byte-order mark, so Vietnamese shows correctly.

Petition text is written by the public, so nothing in a cell may run as a formula: every field is quoted, and a
formula character (=, +, -, @, |, %) at the start of a cell or right after a `;`, a tab or a line break — where a
spreadsheet may start a new cell when it re-splits pasted or imported text — gets an apostrophe in front. Contact
phone numbers are left out; the export is for statistics and follow-up lists, and personal data stays in the
console.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator

from console.templating import vn_date, vn_datetime
from petitions.store import PetitionRecord

BOM = "\ufeff"
HEADER = ["Mã hồ sơ", "Ngày tiếp nhận", "Hạn xử lý", "Quá hạn", "Trạng thái", "Loại", "Cơ quan xử lý", "Chủ đề",
          "Độ tin cậy phân loại", "Xã/phường", "Kênh", "Nội dung", "Ngày trả lời", "Người trả lời", "Trả lời"]
# A formula character at the start of the cell or after a separator a spreadsheet may split on (spaces between
# are skipped by spreadsheets, so they are skipped here too).
_FORMULA = re.compile(r"(^|[;\t\r\n])([ \t]*)(?=[=+\-@|%\t\r])")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)


class _Line:
    """A file-like sink that keeps the one CSV line just written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def _row(r: PetitionRecord, agency_name: Callable[[str], str]) -> list[str]:
    return [_cell(v) for v in (
        r.code, vn_datetime(r.created_at), vn_date(r.due_date), "Có" if r.is_overdue() else "Không",
        r.status_label, r.kind_label, agency_name(r.agency), r.topic, f"{r.confidence:.2f}",
        r.commune_name or "", r.channel, r.text, vn_datetime(r.answered_at), r.answered_by or "", r.answer or "",
    )]


def csv_lines(records: Iterable[PetitionRecord], agency_name: Callable[[str], str]) -> Iterator[str]:
    """The CSV one line at a time (the byte-order mark first), for a streamed download."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    yield BOM + line.text
    for record in records:
        writer.writerow(_row(record, agency_name))
        yield line.text


def csv_chunks(records: Iterable[PetitionRecord], agency_name: Callable[[str], str], rows: int = 500
               ) -> Iterator[bytes]:
    """The CSV as UTF-8 pieces of `rows` lines: few enough pieces that sending them costs little, small enough
    that a download of any length holds one piece in memory."""
    piece: list[str] = []
    for line in csv_lines(records, agency_name):
        piece.append(line)
        if len(piece) >= rows:
            yield "".join(piece).encode("utf-8")
            piece = []
    if piece:
        yield "".join(piece).encode("utf-8")


def petitions_csv(records: Iterable[PetitionRecord], agency_name: Callable[[str], str]) -> str:
    """The whole CSV as one string."""
    return "".join(csv_lines(records, agency_name))
