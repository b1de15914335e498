"""Who issued a document, when, under which number and about what — read from its own header or a metadata block.

An administrative document opens with the issuer and the national motto, "Số: …", "V/v …" and "<place>, ngày …
tháng … năm …". Citations need these facts; a "Key: value" block (corpus files, reference cards) wins over what the
body's header gives, because sources often mangle the header's layout.
"""
from __future__ import annotations

import re

from knowledge.headerblock import clean_value
from knowledge.models import DocInfo
from knowledge.paragraphs import PLACE_DATE_RE, Paragraph

_NUMBER_RE = re.compile(r"Số\s*:?\s*(?P<n>\d+)\s*/\s*(?P<code>[A-ZĐ0-9][A-ZĐ0-9\-/.]*)")
_NUMBER_DASH_RE = re.compile(r"Số\s*:?\s*(?P<n>\d+\s*-\s*[A-ZĐ]{1,6}/[A-ZĐ]{1,6})")
_SUBJECT_RE = re.compile(r"^(?:V/v|V/V|Về việc)\s*:?\s*(?P<s>.+)$", re.S)
KINDS = (
    "Công văn", "Quyết định", "Nghị quyết", "Kết luận", "Chỉ thị", "Chương trình hành động", "Kế hoạch", "Hướng dẫn",
    "Thông báo", "Nghị định", "Thông tư", "Luật", "Pháp lệnh", "Quy chế", "Quy định", "Tờ trình", "Báo cáo",
)


def header_zone_end(paragraphs: list[Paragraph]) -> int:
    """Index just after the place-and-date line (plus a capitalised title right after it), if it opens the text."""
    for i, par in enumerate(paragraphs[:12]):
        if par.kind in ("article", "numbered", "addressees", "recipients", "chapter"):
            return 0
        if PLACE_DATE_RE.search(par.text) and len(par.text.split()) <= 20:
            end = i + 1
            while end < len(paragraphs) and paragraphs[end].kind == "heading":
                end += 1
            return end
    return 0


def identity_from_header(header: list[Paragraph]) -> dict[str, str]:
    found: dict[str, str] = {}
    caps_lines: list[str] = []
    for par in header:
        text = par.text
        if match := _NUMBER_DASH_RE.search(text):
            found.setdefault("number", re.sub(r"\s+", "", match["n"]))
        elif match := _NUMBER_RE.search(text):
            found.setdefault("number", f"{match['n']}/{match['code']}".rstrip("/."))
        elif match := _SUBJECT_RE.match(text):
            found.setdefault("subject", match["s"].strip())
        elif match := PLACE_DATE_RE.search(text):
            found.setdefault("date", f"{match['d']}/{match['m']}/{match['y']}")
            found.setdefault("place", match["place"].strip())
        elif par.kind == "heading":
            caps_lines.append(text)
    for line in caps_lines:
        if "CỘNG HÒA" in line or "CỘNG HOÀ" in line or line.startswith(("ĐẢNG CỘNG SẢN", "Độc lập")):
            continue
        found.setdefault("issuer", issuer_from_caps(line))
    for line in caps_lines:
        for kind in KINDS:
            if line.startswith(kind.upper()):
                found.setdefault("kind", kind)
    return found


def issuer_from_caps(line: str) -> str:
    """"ỦY BAN NHÂN DÂN TỈNH TÂY NINH" → "UBND tỉnh Tây Ninh" (the form letters use when citing each other)."""
    text = " ".join(line.split())
    for long, short in (("ỦY BAN NHÂN DÂN", "UBND"), ("UỶ BAN NHÂN DÂN", "UBND"), ("HỘI ĐỒNG NHÂN DÂN", "HĐND")):
        if text.startswith(long):
            rest = text[len(long):].strip()
            words = rest.split()
            if words and words[0] in ("TỈNH", "THÀNH", "HUYỆN", "XÃ", "PHƯỜNG", "THỊ"):
                level, place = words[0].lower(), " ".join(w.capitalize() for w in words[1:])
                if level == "thành" and words[1:2] == ["PHỐ"]:
                    level, place = "thành phố", " ".join(w.capitalize() for w in words[2:])
                return f"{short} {level} {place}".strip()
            return f"{short} {rest.title()}".strip()
    return text[:1] + text[1:].lower()


def doc_info(
    doc_id: str,
    meta: dict[str, str],
    identity: dict[str, str],
    paragraphs: list[Paragraph],
    *,
    source_name: str,
    shipped: bool,
) -> DocInfo:
    number = clean_value(meta.get("number", "")) or identity.get("number", "")
    date = clean_value(meta.get("date", "")) or identity.get("date", "")
    issuer = clean_value(meta.get("issuer", "")) or identity.get("issuer", "")
    subject = clean_value(meta.get("subject", "")) or identity.get("subject", "")
    summary = str(meta.get("summary", "")).lower() in ("true", "yes", "1", "có")
    kind = clean_value(meta.get("kind", "")) or identity.get("kind", "")
    if not kind and subject and any(p.kind == "addressees" for p in paragraphs):
        kind = "Công văn"  # a letter with "V/v" and "Kính gửi" is a công văn
    title = clean_value(meta.get("title", ""))
    if not kind and title:
        kind = next((k for k in KINDS if title.lower().startswith(k.lower())), "")
    if not title:
        if kind and number:
            title = f"{kind} số {number}" + (f" về việc {subject}" if subject else "")
        else:
            first = next((p.text for p in paragraphs if len(p.text.split()) >= 3), doc_id)
            title = first if len(first) <= 160 else first[:157].rsplit(" ", 1)[0] + "…"
    return DocInfo(
        doc_id=doc_id, title=title, kind=kind, number=number, date=date, issuer=issuer, subject=subject,
        summary=summary, source_name=source_name, shipped=shipped,
    )
