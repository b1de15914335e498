"""Sentence splitting for Vietnamese administrative text, used to pick the sentences an answer quotes."""
from __future__ import annotations

import re

# Candidate boundary: whitespace after . ! ? … (optionally after a closing quote or bracket). It is a real boundary
# when the next sentence starts with a capital letter, a digit, an opening quote or a bullet.
_CANDIDATE_RE = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][”\"’)]))\s+")
_OPENERS = "\"“‘(-–•"
# An item marker ("6.", "a)", "IV.", "Điều 3.") opens its sentence; the period after it is not a sentence end.
_MARKER_ONLY_RE = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3})*|[a-zđ]|[IVX]{1,5}|(?:Điều|Khoản|Mục|Chương)\s+\w+)[.)]$")


def _starts_sentence(rest: str) -> bool:
    head = rest.lstrip(_OPENERS + " ")
    return bool(head) and (head[0].isupper() or head[0].isdigit())


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences; line breaks always end a sentence (bullets, list items)."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for match in _CANDIDATE_RE.finditer(line):
            if _starts_sentence(line[match.end():]) and not _MARKER_ONLY_RE.match(line[start:match.start()]):
                out.append(line[start:match.start()].strip())
                start = match.end()
        out.append(line[start:].strip())
    merged: list[str] = []
    for part in out:
        if not part:
            continue
        if merged and len(part.split()) < 3 and not part[:1].isdigit():
            merged[-1] = f"{merged[-1]} {part}"  # a fragment such as "(khóa XII)" belongs to the sentence before
        else:
            merged.append(part)
    return merged
