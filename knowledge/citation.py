"""Vietnamese citations: "Theo điểm 6 Công văn số 608/UBND-NCPC ngày 02/4/2019 của UBND tỉnh Tây Ninh"."""
from __future__ import annotations

import re

from knowledge.models import DocInfo

_PARENS_RE = re.compile(r"\s*\(([^)]*)\)")
_SECTION_WORDING = {
    "phần đầu văn bản": "phần đầu",
    "chữ ký": "phần ký",
    "Kính gửi": "phần Kính gửi",
    "Nơi nhận": "phần Nơi nhận",
}
_CARD_PREFIX_RE = re.compile(r"^Thẻ tham khảo[^:]*:\s*")


def short_issuer(issuer: str) -> str:
    """Drop long explanations in brackets ("Bộ Chính trị (Ban Chấp hành ..., khóa XIII)" → "Bộ Chính trị"),
    keep short ones ("Bộ Chính trị (khóa X)")."""
    return _PARENS_RE.sub(lambda m: "" if len(m.group(1)) > 20 else m.group(0), issuer).strip()


def document_name(doc: DocInfo) -> str:
    """"Công văn số 608/UBND-NCPC ngày 02/4/2019 của UBND tỉnh Tây Ninh", or the title when there is no number."""
    if doc.summary:
        return f"bản tóm tắt về {_CARD_PREFIX_RE.sub('', doc.title)} (do hệ thống biên soạn, không phải văn bản chính thức)"
    if doc.number:
        name = f"{doc.kind or 'văn bản'} số {doc.number}"
        if doc.date:
            name += f" ngày {doc.date}"
        if doc.issuer:
            name += f" của {short_issuer(doc.issuer)}"
        return name
    name = f"tài liệu “{doc.title}”"
    details = ", ".join(p for p in (short_issuer(doc.issuer), doc.date) if p)
    return f"{name} ({details})" if details else name


def cite(doc: DocInfo, section: str) -> str:
    """"Theo <section> <document>": the form an answer ends with."""
    if doc.summary:
        return f"Theo {document_name(doc)}"
    place = _SECTION_WORDING.get(section, section)
    if place and place != "đoạn văn":
        return f"Theo {place} {document_name(doc)}"
    return f"Theo {document_name(doc)}"
