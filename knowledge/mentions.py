"""Notice when a question names a document ("công văn 608", "quyết định 290") or asks about its identity.

Both are strong hints that lexical and dense similarity blur: every passage of the letter is "about dân vận", but a
question that says "quyết định 290" is about that decision, and "ai ký công văn 608" is answered by its signature,
not by whichever point mentions "ký". The retriever turns these hints into a multiplicative boost of the fused score.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import DocInfo, Passage
from nlp.text import folded_syllables

# Questions about who issued / signed / when / to whom, and the passage kinds that answer them.
_INTENTS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("ai ky", "nguoi ky", "nao ky", "ky ten", "ky boi", "ai ki", "nguoi ki", "nao ki", "chuc vu gi", "chuc danh"),
     frozenset({"signature"})),
    (("gui cho", "gui toi", "gui den", "gui ai", "kinh gui", "noi nhan", "ai nhan", "gui nhung"),
     frozenset({"addressees", "recipients"})),
    (("ngay nao", "nam nao", "thang nao", "khi nao", "bao gio", "luc nao", "ngay bao nhieu", "ngay may", "nam may",
      "ky ngay", "ky nam", "ban hanh ngay", "ban hanh nam", "ban hanh luc", "ra doi"),
     frozenset({"header", "opening"})),
    (("co quan nao", "ai ban hanh", "do ai", "cua ai", "cua co quan nao", "don vi nao ban hanh", "so hieu", "so may",
      "trich yeu", "ve viec gi", "noi ve viec gi"),
     frozenset({"header", "opening", "signature"})),
)
_NUMBER_RE = re.compile(r"^\d+")
# Abbreviations people type for document kinds.
_KIND_ABBREVIATIONS = {"cv": "cong van", "qd": "quyet dinh", "nq": "nghi quyet", "kl": "ket luan", "ct": "chi thi",
                       "ctr": "chuong trinh hanh dong", "ctrhd": "chuong trinh hanh dong"}


@dataclass(frozen=True)
class Hints:
    docs: dict[str, float]  # doc_id -> strength in (0, 1]
    kinds: frozenset[str]  # passage kinds that answer the question's identity intent


class MentionDetector:
    """Document names and numbers of one collection, matched against questions on folded syllables."""

    def __init__(self, docs: dict[str, DocInfo]) -> None:
        self._by_number: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
        self._by_kind: dict[tuple[str, ...], list[str]] = {}
        for doc in docs.values():
            kind = tuple(folded_syllables(doc.kind)) if doc.kind and doc.kind != "Thẻ tham khảo" else ()
            if kind:
                self._by_kind.setdefault(kind, []).append(doc.doc_id)
            number = folded_syllables(doc.number)
            if number and _NUMBER_RE.match(number[0]):
                code = number[1] if len(number) > 1 else ""
                self._by_number.setdefault(number[0], []).append((doc.doc_id, kind, code))

    def hints(self, text: str) -> Hints:
        tokens: list[str] = []
        for token in folded_syllables(text):
            tokens.extend(_KIND_ABBREVIATIONS.get(token, token).split())
        joined = " " + " ".join(tokens) + " "
        docs: dict[str, float] = {}
        for i, token in enumerate(tokens):
            for doc_id, kind, code in self._by_number.get(token, ()):
                before = tuple(tokens[max(0, i - len(kind) - 1): i])
                named = bool(kind) and (_ends_with(before, kind) or _ends_with(before[:-1], kind))
                coded = bool(code) and i + 1 < len(tokens) and tokens[i + 1] == code
                if named or coded or len(token) >= 3:  # "công văn 608", "290-QĐ/TW", or a bare "608"
                    docs[doc_id] = 1.0
        for kind, doc_ids in self._by_kind.items():
            if f" {' '.join(kind)} " in joined and len(doc_ids) == 1:
                docs.setdefault(doc_ids[0], 1.0)  # "công văn" alone: the only công văn in the collection
        kinds: set[str] = set()
        for phrases, answer_kinds in _INTENTS:
            if any(f" {p} " in joined for p in phrases):
                kinds |= answer_kinds
        return Hints(docs, frozenset(kinds))


def _ends_with(seq: tuple[str, ...], suffix: tuple[str, ...]) -> bool:
    return len(seq) >= len(suffix) and seq[len(seq) - len(suffix):] == suffix


def boost(hints: Hints, passage: Passage, doc_boost: float, kind_boost: float) -> float:
    """Multiplier of a passage's fused score under the question's hints."""
    factor = 1.0
    strength = hints.docs.get(passage.doc_id, 0.0)
    factor += doc_boost * strength
    if hints.kinds and passage.kind in hints.kinds and (not hints.docs or strength > 0):
        factor += kind_boost
    return factor

