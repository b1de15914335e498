"""What kind of fact a question asks for, and whether a passage contains a fact of that kind.

Policy documents state duties, not figures, places, phone numbers or current office-holders. A question that asks
"bao nhiêu", "ở đâu", "số điện thoại" or "ai là ..." is only answered by a passage that holds a number, a place, a
contact or a person's name; when the top passages hold none, that is strong evidence the documents do not answer it,
however similar the words are. This is one input of the abstention model.
"""
from __future__ import annotations

import re

from nlp.text import fold

AMOUNT, PLACE, CONTACT, PERSON = "amount", "place", "contact", "person"

# Folded patterns. "bao nhiêu" after năm/ngày/khóa/số asks for a date or an identifier, not an amount; "mấy" counts
# only before a unit ("mấy lần", "mấy chương") — before other nouns it is the colloquial plural ("mấy anh").
_NOT_AMOUNT_BEFORE = r"(?<!nam )(?<!ngay )(?<!thang )(?<!khoa )(?<!so )(?<!thu )"
_UNITS = (r"lan|nguoi|ngay|thang|nam|buoi|cai|chuong|dieu|diem|muc|phan|khoan|nhiem vu|tien|dong|trieu|ty|tuoi|gio"
          r"|cap|bo|loai|vu|mo hinh|can bo|thanh vien|phong|ban")
_AMOUNT_RE = re.compile(
    rf"\b{_NOT_AMOUNT_BEFORE}(?:bao nhieu|bao nhiu)\b|\bmay (?:{_UNITS})\b|\bso luong\b|\bmuc (?:phat|khen|luong)"
)
_PLACE_RE = re.compile(r"\b(?:o dau|cho nao|noi nao|tai dau|dia chi|dia diem nao|o cho nao)\b")
_CONTACT_RE = re.compile(r"\b(?:so dien thoai|dien thoai|hotline|duong day nong|email|sdt|zalo cua)\b")
_PERSON_RE = re.compile(r"\bai la\b|\bla ai\b|\bten (?:la )?gi\b|\bho ten\b")
_SENT_TO_RE = re.compile(r"\bgui\b")

_DATE_RE = re.compile(r"\d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*\d{2,4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", re.I)
_DOC_NUMBER_RE = re.compile(r"\d+\s*[-/]\s*[A-ZĐa-zđ]")
_MARKER_RE = re.compile(r"(?m)^\s*(?:Điều\s+)?\d{1,3}[.)]\s")
_NUMBER_RE = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)?(?![\w/])")
_PHONE_RE = re.compile(r"(?:\+?84|0)\d[\d .]{7,12}\d|@\w")
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
             "Dương", "Lý", "Nông", "Đinh", "Lâm", "Trương", "Mai", "Tô", "Hà", "Đoàn", "Lưu", "Châu", "Thái")
_NAME_RE = re.compile(r"\b(?:" + "|".join(_SURNAMES) + r")(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}\b")


def question_type(question: str) -> str | None:
    """AMOUNT, PLACE, CONTACT or PERSON when the question asks for that kind of fact; None otherwise."""
    folded = " ".join(fold(question).replace("?", " ").split())
    if _CONTACT_RE.search(folded):
        return CONTACT
    if _PLACE_RE.search(folded) and not _SENT_TO_RE.search(folded):
        return PLACE
    if _PERSON_RE.search(folded):
        return PERSON
    if _AMOUNT_RE.search(folded):
        return AMOUNT
    return None


def has_fact(kind: str, text: str) -> bool:
    """Does `text` contain a fact of the asked kind (a figure, a contact, a person's name)?"""
    if kind == AMOUNT:
        rest = _MARKER_RE.sub(" ", _DOC_NUMBER_RE.sub(" ", _DATE_RE.sub(" ", text)))
        return bool(_NUMBER_RE.search(rest))
    if kind == CONTACT:
        return bool(_PHONE_RE.search(text))
    if kind == PERSON:
        return bool(_NAME_RE.search(text))
    if kind == PLACE:
        return bool(re.search(r"\b(?:tại|ở)\s+(?:xã|phường|ấp|thôn|số|đường|trụ sở|hội trường)\b", text, re.I))
    return True
