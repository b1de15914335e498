"""What kind of fact a question asks for, and whether a passage holds a fact of that kind.

Policy documents state duties, not sums of money, fines, deadlines, phone numbers, places or current office-holders.
A question that asks "bao nhiêu tiền", "phạt bao nhiêu", "hạn chót", "số điện thoại" or "ai là ..." is only answered
by a passage that holds such a fact; when none of the top passages does, that is strong evidence the documents do not
answer it, however close its other words are to theirs. This is the check the abstention applies before weighing
the softer evidence.

The cue phrases of most kinds are data (knowledge/data/answertypes.yml). Amounts and persons are recognised here,
because they depend on the words around the cue: "bao nhiêu người" asks for a count of people and is answered by
"12 người", not by any number; "ai là Chủ tịch Mặt trận" is answered by a name next to that office, not by whichever
signature a document has.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.terms import STOPWORDS_FOLDED
from nlp.text import fold, folded_syllables, has_diacritics, syllables

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "answertypes.yml"
AMOUNT, PERSON = "amount", "person"

# A count is asked by "bao nhiêu X" or "mấy X" — except after năm/ngày/số ("năm bao nhiêu" asks for a date or an
# identifier) and, for "mấy", only before a unit: elsewhere "mấy" is the colloquial plural ("mấy anh", "mấy chú").
_NOT_AMOUNT_BEFORE = frozenset({"nam", "ngay", "thang", "khoa", "so", "hieu", "thu"})  # "số hiệu bao nhiêu"
_UNITS = frozenset(
    [
        "lan", "nguoi", "ngay", "thang", "nam", "buoi", "chuong", "dieu", "diem", "muc", "phan", "khoan", "tuoi", "gio",
        "cap", "bo", "loai", "vu", "phong", "xa", "phuong", "ap", "thon", "tinh", "huyen", "met", "km", "ha", "tan",
        "kg", "lit", "chiec", "to", "doi",
    ]
)
# Parts of a formula or a sentence ("phương châm gồm mấy ý", "mấy vế"): a quotation answers by showing them, never by
# a number. (Points, articles and chapters of a document stay counts: an excerpt cannot answer "bao nhiêu điều".)
_TEXT_PARTS = frozenset({"y", "ve"})
# A yes/no question ("có khen mấy người làm dân vận giỏi không") uses "mấy" as a plural, not to count.
_YES_NO = frozenset({"khong", "ko", "k", "hong", "hok", "hem", "chua", "ha"})
# Nor does a question that goes on to ask how or what ("mấy vụ khiếu kiện kéo dài thì xử lý sao", "mấy sở phải làm
# gì"): it asks for an explanation about those things, not for their number.
_EXPLAIN = (("sao",), ("gi",), ("the", "nao"), ("nhu", "nao"), ("ra", "sao"))
# "tên là gì" after a document's kind asks for its title, not for a person.
_DOCUMENT_WORDS = (("van", "ban"), ("cong", "van"), ("quyet", "dinh"), ("nghi", "quyet"), ("ket", "luan"),
                   ("chi", "thi"), ("chuong", "trinh"), ("quy", "che"), ("luat",), ("phong", "trao"), ("mo", "hinh"))
_NOT_UNITS = frozenset({"la", "mot", "moi", "vay", "a", "the", "nhi", "ha", "ta", "roi", "chu", "khong", "ko", "nua",
                        "het", "ca", "vao", "cho", "de", "thi", "duoc", "co", "trong", "tren", "cua"})
_PERSON_CUES = (("ai", "la"), ("la", "ai"), ("ten", "gi"), ("ten", "la", "gi"), ("ho", "ten"), ("ho", "va", "ten"),
                ("nguoi", "nao", "la"))
PERSON_SUBJECT_SHARE = 0.6  # of the office's words that the passage naming a person must contain

_DATE_RE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
                      r"|\d{1,2}\s*:\s*\d{2}", re.I)
_DOC_NUMBER_RE = re.compile(r"\d+\s*[-/]\s*[A-ZĐa-zđ]")
_MARKER_RE = re.compile(r"(?m)^\s*(?:Điều\s+|Chương\s+|điểm\s+)?\d{1,3}[.)]?\s")
_NUMBER_WORDS = r"\d+(?:[.,]\d+)?|hai|ba|bon|sau|bay|tam|chin|muoi|tram|nghin|ngan"
_QUANTITY_RE = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)?(?![\w/])")
_PHONE_RE = re.compile(r"(?:\+?84|0)\d[\d .]{7,12}\d|[\w.]+@\w+\.\w+|https?://")
_ADDRESS_RE = re.compile(r"\b(?:tại|ở)\s+(?:xã|phường|ấp|thôn|số|đường|trụ sở|hội trường|khu phố)\b", re.I)
# an address, or the place-and-date line of a document ("Hà Nội, ngày 30 tháng 7 năm 2021": where it was issued)
_PLACE_RE = re.compile(_ADDRESS_RE.pattern + r"|[A-ZÀ-ỸĐ]\w*(?:\s+[A-ZÀ-ỸĐ]\w*)*,\s*ngày\s+\d", re.I)
_MONEY_RE = re.compile(r"\d+(?:[.,]\d+)*\s*(?:đồng|đ\b|triệu|tỷ|nghìn|ngàn|%|phần trăm|VNĐ|USD)", re.I)
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
             "Dương", "Lý", "Nông", "Đinh", "Lâm", "Trương", "Mai", "Tô", "Hà", "Đoàn", "Lưu", "Châu", "Thái")
_NAME_RE = re.compile(r"\b(?:" + "|".join(_SURNAMES) + r")(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}\b")
_IDENTITY_KINDS = frozenset({"header", "signature", "addressees", "recipients"})  # they name, they do not count
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@dataclass(frozen=True)
class Ask:
    """The kind of fact a question asks for, with what narrows it: the counted unit or the office's words."""

    kind: str
    unit: str = ""  # folded syllable counted by an amount question ("nguoi", "lan"); "" for any quantity
    subject: tuple[str, ...] = ()  # folded content syllables of a person question ("chu", "tich", "mat", "tran")


@dataclass(frozen=True)
class _Kind:
    name: str
    accented: tuple[tuple[str, ...], ...]
    folded: tuple[tuple[str, ...], ...]
    unless: tuple[tuple[str, ...], ...]
    gives: tuple[tuple[str, ...], ...]
    pattern: str
    with_accented: tuple[tuple[str, ...], ...] = ()  # the question must also contain one of these (if any are given)
    with_folded: tuple[tuple[str, ...], ...] = ()


class AnswerTypes:
    """The question kinds of answertypes.yml plus amounts and persons."""

    def __init__(self, kinds: list[_Kind]) -> None:
        self.kinds = kinds

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> AnswerTypes:
        return _load(path)

    def classify(self, question: str) -> Ask | None:
        """The fact `question` asks for, or None when it asks for an explanation, a duty, a yes or a no."""
        accented = has_diacritics(question)
        folded = folded_syllables(question)
        tokens = syllables(question) if accented else folded
        for kind in self.kinds:
            phrases = kind.accented if accented else kind.folded
            if _contains_any(tokens, phrases) and not _contains_any(folded, kind.unless):
                needed = kind.with_accented if accented else kind.with_folded
                if not (kind.with_accented or kind.with_folded) or _contains_any(tokens, needed):
                    return Ask(kind.name)
        person = _person_subject(folded)
        if person is not None:
            return Ask(PERSON, subject=person)
        unit = _amount_unit(tokens, folded, accented)
        if unit is not None:
            return Ask(AMOUNT, unit=unit)
        return None

    def gives(self, ask: Ask, text: str, kind: str = "", terms: frozenset[str] = frozenset()) -> bool:
        """Does a passage (its text, its kind, its folded index terms) hold a fact of the asked kind?"""
        if ask.kind == AMOUNT:
            return kind not in _IDENTITY_KINDS and _has_quantity(text, ask.unit)
        if ask.kind == PERSON:
            if not _NAME_RE.search(text):
                return False
            if not ask.subject:
                return True
            return sum(s in terms for s in ask.subject) >= PERSON_SUBJECT_SHARE * len(ask.subject)
        spec = next((k for k in self.kinds if k.name == ask.kind), None)
        if spec is None:
            return True
        if spec.pattern and _PATTERNS[spec.pattern].search(text):
            return True
        return _contains_any(syllables(text), spec.gives)


def question_years(question: str) -> set[str]:
    """Years a question names ("năm 2024"): documents that never mention that year cannot answer it."""
    return set(_YEAR_RE.findall(question))


# A time of day: "7 giờ 30", "13h30", "8:00".
_TIME_RE = re.compile(r"\b\d{1,2}\s*(?:giờ|h)(?:\s*\d{1,2})?\b|\b\d{1,2}:\d{2}\b", re.IGNORECASE)
_PATTERNS = {"phone": _PHONE_RE, "address": _ADDRESS_RE, "place": _PLACE_RE, "money": _MONEY_RE, "time": _TIME_RE}


@lru_cache(maxsize=4)
def _load(path: Path) -> AnswerTypes:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    kinds = []
    for item in data:
        asks = [str(p) for p in item.get("asks", [])]
        pattern = str(item.get("pattern", ""))
        if pattern and pattern not in _PATTERNS:
            raise ValueError(f"{path}: unknown pattern {pattern!r} in kind {item.get('kind')!r}")
        kinds.append(
            _Kind(
                name=str(item["kind"]),
                accented=tuple(tuple(syllables(p)) for p in asks),
                # a one-syllable phrase with diacritics is ambiguous once folded ("phạt"/"phát")
                folded=_folded_phrases(asks),
                unless=tuple(tuple(folded_syllables(p)) for p in item.get("unless", [])),
                gives=tuple(tuple(syllables(str(p))) for p in item.get("gives", [])),
                pattern=pattern,
                with_accented=tuple(tuple(syllables(str(p))) for p in item.get("with", [])),
                with_folded=_folded_phrases([str(p) for p in item.get("with", [])]),
            )
        )
    return AnswerTypes(kinds)


def _folded_phrases(phrases: list[str]) -> tuple[tuple[str, ...], ...]:
    """Phrases to match on a question typed without diacritics: a one-syllable phrase with diacritics is ambiguous
    once folded ("phạt"/"phát", "ông"/"ong"), so it is left out."""
    return tuple(tuple(folded_syllables(p)) for p in phrases if len(syllables(p)) > 1 or not has_diacritics(p))


def _contains_any(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        if n and any(tuple(tokens[i:i + n]) == phrase for i in range(len(tokens) - n + 1)):
            return True
    return False


def _person_subject(folded: list[str]) -> tuple[str, ...] | None:
    """The office a "who is ..." question names (its content syllables), or None when it does not ask who.

    A question about who signed ("người ký ... là ai") is answered by any signature, so it names no office."""
    for cue in _PERSON_CUES:
        n = len(cue)
        for i in range(len(folded) - n + 1):
            if tuple(folded[i:i + n]) == cue:
                rest = folded[:i] + folded[i + n:]
                if cue[0] == "ten" and _contains_any(rest, _DOCUMENT_WORDS):
                    return None
                if "ky" in rest:
                    return ()
                return tuple(t for t in rest if t not in STOPWORDS_FOLDED and t not in ("nguoi", "hien", "nay"))
    return None


def _amount_unit(tokens: list[str], folded: list[str], accented: bool) -> str | None:
    """The unit a counting question asks about ("" for a bare "bao nhiêu?"), or None when it does not count."""
    if len(folded) != len(tokens):
        return None
    for i, token in enumerate(folded):
        if token == "bao" and i + 1 < len(folded) and folded[i + 1] in ("nhieu", "nhiu"):
            start, after = i, i + 2
        elif (accented and tokens[i] == "nhiêu" and i > 0 and folded[i - 1] != "bao") or (  # colloquial "lương nhiêu"
                token == "may" and i + 1 < len(folded) and not _YES_NO & set(folded[i:])
                and not _contains_any(folded[i + 2:], _EXPLAIN)
                and (folded[i + 1] in _UNITS or (i > 0 and folded[i - 1] in ("gom", "co")))):
            start, after = i, i + 1
        elif token == "so" and i + 1 < len(folded) and folded[i + 1] == "luong":
            return ""
        else:
            continue
        if start > 0 and folded[start - 1] in _NOT_AMOUNT_BEFORE:
            continue
        unit = folded[after] if after < len(folded) else ""
        if unit in _TEXT_PARTS:
            return None  # "phương châm gồm mấy ý": the quotation shows its parts
        return "" if unit in _NOT_UNITS or unit in STOPWORDS_FOLDED or unit.isdigit() else unit
    return None


def _has_quantity(text: str, unit: str) -> bool:
    """A number that counts something (not a date, a document number, a time or a list marker), of `unit` if given."""
    rest = _MARKER_RE.sub(" ", _DOC_NUMBER_RE.sub(" ", _DATE_RE.sub(" ", text)))
    if not unit:
        return bool(_QUANTITY_RE.search(rest))
    return bool(re.search(rf"\b(?:{_NUMBER_WORDS})\s+(?:\w+\s+)?{re.escape(unit)}\b", fold(rest)))
