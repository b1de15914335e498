"""Rebuild a document's paragraphs from raw lines and tell what each paragraph is (article, point, bullet, ...).

Sources break lines in the middle of sentences (HTML tables, PDF columns) and glue headings together; the splitter
needs whole paragraphs with a type, so this module joins broken lines back and classifies the result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATOR_RE = re.compile(r"^[\s|\-=_*~.]*$")
_EDITORIAL_RE = re.compile(r"^\[.*\]$")
_BOLD_RE = re.compile(r"\*\*|__")

CHAPTER_RE = re.compile(
    r"^(?P<word>Chương|CHƯƠNG|Phần thứ|PHẦN THỨ|Phần|PHẦN|Mục|MỤC)\s+(?P<mark>[IVXLC]+|\d+)\b\.?\s*(?P<rest>.*)$")
ARTICLE_RE = re.compile(r"^(?:Điều|ĐIỀU)\s+(?P<mark>\d+[a-z]?)\s*[.:]\s*(?P<rest>.*)$", re.S)
ROMAN_RE = re.compile(r"^(?P<mark>[IVX]{1,5})[.)]\s+(?P<rest>.*)$", re.S)
NUMBERED_RE = re.compile(r"^(?P<mark>\d{1,3}(?:\.\d{1,3})*)[.)]\s+(?P<rest>.*)$", re.S)
LETTERED_RE = re.compile(r"^(?P<mark>[a-zđ])\)\s+(?P<rest>.*)$", re.S)
BULLET_RE = re.compile(r"^[-–—•+*]\s+(?P<rest>.*)$", re.S)
ADDRESSEES_RE = re.compile(r"^(?:Kính gửi|KÍNH GỬI)\s*:?\s*(?P<rest>.*)$", re.S)
RECIPIENTS_RE = re.compile(r"^(?:Nơi nhận|NƠI NHẬN)\s*:?\s*(?P<rest>.*)$", re.S)
SIGNATURE_START_RE = re.compile(r"^(?:T/M|TM\.|KT\.|JCT\.|TL\.|TUQ\.|Q\.|\(đã ký\)|\(Đã ký\)|\(ký\))", re.I)
PLACE_DATE_RE = re.compile(
    r"(?P<place>[^\W\d][^,\n]{1,40}),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})")
ROLE_WORDS = (
    "CHỦ TỊCH", "TỔNG BÍ THƯ", "BÍ THƯ", "BỘ TRƯỞNG", "THỨ TRƯỞNG", "GIÁM ĐỐC", "TRƯỞNG BAN", "THỦ TƯỚNG",
    "CHÁNH VĂN PHÒNG", "CHÁNH THANH TRA", "TRƯỞNG PHÒNG", "HIỆU TRƯỞNG",
)
_TERMINAL = (".", ";", ":", "!", "?", "…")
_STRUCTURAL = (CHAPTER_RE, ARTICLE_RE, ROMAN_RE, NUMBERED_RE, LETTERED_RE, BULLET_RE, ADDRESSEES_RE, RECIPIENTS_RE)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph with its type: chapter | article | roman | numbered | lettered | bullet | addressees |
    recipients | heading (all capitals) | para. `mark` is the number or letter of the item ("4", "a", "IV")."""

    kind: str
    text: str
    mark: str = ""
    body: str = ""  # text after the marker ("- ", "4. ", "Điều 3.")


def is_caps(text: str) -> bool:
    """All letters upper case (a heading such as "QUYẾT ĐỊNH"), with at least two letters."""
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _starts_structure(line: str) -> bool:
    return any(rx.match(line) for rx in _STRUCTURAL) or bool(SIGNATURE_START_RE.match(line))


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(" ”\"’')]»")
    return stripped.endswith(_TERMINAL)


def split_paragraphs(text: str) -> list[str]:
    """Join the lines of `text` into paragraphs.

    A new paragraph starts at a blank line, a separator, a structural marker (Điều, numbered point, bullet, ...),
    a switch between an all-capitals heading and normal text, or after a line that ends a sentence. A short label
    ending with ":" ("Số:") is joined with what follows.
    """
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for raw_line in text.split("\n"):
        line = _BOLD_RE.sub("", raw_line).strip()
        if not line or _SEPARATOR_RE.match(line):
            flush()
            continue
        if _EDITORIAL_RE.match(line):  # notes of whoever compiled the file, not the document's text
            flush()
            continue
        line = line.strip("| ").strip()
        if not line:
            flush()
            continue
        if not current:
            current.append(line)
            continue
        prev = current[-1]
        if _starts_structure(line):
            flush()
        elif prev.endswith(":") and len(prev.split()) <= 3 and not is_caps(prev):
            pass  # "Số:" + "23-QĐ/TW"
        elif is_caps(line) != is_caps(prev) or _ends_sentence(prev):
            flush()
        current.append(line)
    flush()
    return paragraphs


def classify(text: str) -> Paragraph:
    """Type a paragraph by its leading marker."""
    if match := CHAPTER_RE.match(text):
        return Paragraph("chapter", text, f"{match['word'].capitalize()} {match['mark']}", match["rest"])
    if match := ARTICLE_RE.match(text):
        return Paragraph("article", text, match["mark"], match["rest"])
    if match := ADDRESSEES_RE.match(text):
        return Paragraph("addressees", text, "", match["rest"])
    if match := RECIPIENTS_RE.match(text):
        return Paragraph("recipients", text, "", match["rest"])
    if match := ROMAN_RE.match(text):
        return Paragraph("roman", text, match["mark"], match["rest"])
    if match := NUMBERED_RE.match(text):
        return Paragraph("numbered", text, match["mark"], match["rest"])
    if match := LETTERED_RE.match(text):
        return Paragraph("lettered", text, match["mark"], match["rest"])
    if match := BULLET_RE.match(text):
        return Paragraph("bullet", text, "", match["rest"])
    if is_caps(text):
        return Paragraph("heading", text, "", text)
    return Paragraph("para", text, "", text)


def starts_signature(text: str) -> bool:
    """The first line of a signature block: "KT. CHỦ TỊCH", "T/M BỘ CHÍNH TRỊ", or a role in capitals."""
    return bool(SIGNATURE_START_RE.match(text)) or (is_caps(text) and any(role in text for role in ROLE_WORDS))


def is_signature_like(text: str) -> bool:
    """A line of a signature block: "KT. CHỦ TỊCH", a role in capitals, "(đã ký)", or a person's name."""
    if SIGNATURE_START_RE.match(text):
        return True
    if is_caps(text) and any(role in text for role in ROLE_WORDS):
        return True
    return is_person_name(text)


def is_person_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() and w[1:].islower() for w in words if w.isalpha()) and all(
        w.isalpha() for w in words
    )


_HEADING_MAX_WORDS = 12


def split_glued_heading(sentence: str, *, more_lines: bool = False) -> tuple[str, str]:
    """Split a heading from the text it runs into: ("Mô hình, điển hình dân vận khéo", "Mô hình dân vận khéo là …").

    Sources glue a point's title to its first sentence. The title is recognised when a capitalised word within its
    first twelve words starts a phrase that repeats the title's own words, or when the whole first line of a passage
    with more lines is short and ends without punctuation. Returns ("", sentence) when there is no heading.
    """
    words = sentence.split()
    if more_lines and len(words) <= _HEADING_MAX_WORDS and not _ends_sentence(sentence):
        return sentence.strip(), ""
    for k in range(2, min(_HEADING_MAX_WORDS, len(words) - 4) + 1):
        word = words[k]
        if not word[:1].isupper() or words[k - 1].endswith((".", ":", ";", ",")) or is_caps(word):
            continue
        head = [w.strip(",.:;").lower() for w in words[:k]]
        nxt = [w.strip(",.:;").lower() for w in words[k:k + 2]]
        if nxt[0] == head[0] or any(head[i:i + 2] == nxt for i in range(len(head) - 1)):
            return " ".join(words[:k]), " ".join(words[k:])
    return "", sentence
