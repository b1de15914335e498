"""Metadata written at the top of a document: a "Key: value" block ended by a line of dashes, or Markdown front matter.

The corpus files and the project's reference cards describe themselves this way ("Số hiệu: 23-QĐ/TW"); reading the
block gives citations their number, date and issuer even when the body's own header is mangled by the source.
"""
from __future__ import annotations

import re

from nlp.text import fold

_KEY_LINE_RE = re.compile(r"^\s*([^:\n]{2,40}?)\s*:\s*(.*?)\s*$")
_RULE_RE = re.compile(r"^\s*[-=_]{5,}\s*$")

# Folded key → field name. Keys not listed are kept under their folded name.
_KEYS = {
    "tieu de": "title",
    "ten van ban": "title",
    "title": "title",
    "so hieu": "number",
    "so": "number",
    "number": "number",
    "ngay ban hanh": "date",
    "ngay dang": "date",
    "ngay": "date",
    "date": "date",
    "co quan ban hanh": "issuer",
    "co quan/don vi dang": "issuer",
    "co quan": "issuer",
    "issuer": "issuer",
    "loai van ban": "kind",
    "loai": "kind",
    "kind": "kind",
    "trich yeu": "subject",
    "subject": "subject",
    "tom tat": "summary",
    "summary": "summary",
}
_MIN_KEYS = 2


def canonical_key(key: str) -> str:
    folded = fold(key)
    return _KEYS.get(folded, folded)


def split_header_block(text: str) -> tuple[dict[str, str], list[str], str]:
    """Return (metadata, the block's lines, the remaining text); empty metadata when there is no block.

    A block is a run of "Key: value" lines (continuation lines allowed) at the very top, closed by a dashed rule.
    """
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    for end in range(start, min(len(lines), start + 40)):
        if _RULE_RE.match(lines[end]):
            block = [ln for ln in lines[start:end] if ln.strip()]
            meta: dict[str, str] = {}
            last_key = ""
            keyed = 0
            for line in block:
                match = _KEY_LINE_RE.match(line)
                if match and not match.group(1).strip().startswith(("-", "http")):
                    last_key = canonical_key(match.group(1))
                    meta[last_key] = match.group(2)
                    keyed += 1
                elif last_key:
                    meta[last_key] = f"{meta[last_key]} {line.strip()}".strip()
            if keyed >= _MIN_KEYS:
                return meta, block, "\n".join(lines[end + 1:])
            break
    return {}, [], text


def clean_value(value: str) -> str:
    """Drop placeholder values such as "(không ghi số hiệu trên trang nguồn)"."""
    value = value.strip()
    if not value or (value.startswith("(") and value.endswith(")")):
        return ""
    return value
