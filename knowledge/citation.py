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
        return (f"bản tóm tắt về {_CARD_PREFIX_RE.sub('', doc.title)}"
                " (do hệ thống biên soạn, không phải văn bản chính thức)")
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


def short_name(doc: DocInfo) -> str:
    """"Công văn 608/UBND-NCPC ngày 02/4/2019": the name an answer's source line gives an official document."""
    if doc.summary or not doc.number:
        return document_name(doc)
    name = f"{doc.kind or 'Văn bản'} {doc.number}"
    return f"{name} ngày {doc.date}" if doc.date else name


def place_name(section: str) -> str:
    """"chữ ký" → "phần ký"; "đoạn văn" (no structure) → ""."""
    place = _SECTION_WORDING.get(section, section)
    return "" if place == "đoạn văn" else place


def source_line(doc: DocInfo, sections: list[str], heading: str = "") -> str:
    """"Nguồn: điểm 4, gạch đầu dòng thứ nhất, Công văn 608/UBND-NCPC ngày 02/4/2019": the line under an answer."""
    name = short_name(doc)
    if doc.summary:
        return f"Nguồn: {name}."
    places = [p for p in dict.fromkeys(place_name(s) for s in sections) if p]
    place = " và ".join(places)
    if place and heading:
        place = f"{place} ({heading})"
    return f"Nguồn: {place}, {name}." if place else f"Nguồn: {name}."
