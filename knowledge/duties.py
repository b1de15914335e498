"""What a letter asks of the agency a cadre names: "Sở Y tế phải làm gì theo công văn 608?".

Such a question is answered by the letter's structure, not by one passage's wording: the agency is one of the
addressees ("Các sở, ban, ngành tỉnh"), and every point the letter makes is asked of its addressees. The answer says
which addressee line covers the agency and lists the points (knowledge/answering.py, `structural_answer`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.blocks import parse_addressees
from knowledge.collection import Collection
from nlp.text import folded_syllables, has_diacritics, normalize

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "addressees.yml"
NAME_MAX_SYLLABLES = 7  # "UBND huyện Dương Minh Châu": the head and the name after it
_STOP = {"phai", "can", "co", "duoc", "lam", "thuc", "theo", "trong", "nhan", "thi", "se", "nen", "la", "o", "cua"}


@dataclass(frozen=True)
class AddresseeGroup:
    line: tuple[str, ...]  # folded syllables of the addressee line
    heads: tuple[tuple[str, ...], ...]  # folded
    accented_heads: tuple[tuple[str, ...], ...]  # as written, for one-syllable heads


@lru_cache(maxsize=4)
def load_groups(path: Path = DEFAULT_PATH) -> tuple[AddresseeGroup, ...]:
    groups = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        heads = [str(h) for h in entry["heads"]]
        groups.append(AddresseeGroup(
            line=tuple(folded_syllables(str(entry["line"]))),
            heads=tuple(tuple(folded_syllables(h)) for h in heads),
            accented_heads=tuple(tuple(re.findall(r"\w+", normalize(h))) for h in heads),
        ))
    return tuple(groups)


@dataclass(frozen=True)
class NamedAgency:
    group: AddresseeGroup
    name: str  # the agency as the question wrote it ("Sở Y tế"), or "" when it cannot be shown as written


def named_agency(question: str, groups: tuple[AddresseeGroup, ...] | None = None) -> NamedAgency | None:
    """The addressee group an agency named in `question` belongs to, with the name as written."""
    words = re.findall(r"\w+", question)
    folded = folded_syllables(question)
    if len(words) != len(folded):
        return None
    plain = [normalize(w) for w in words]
    accented = has_diacritics(question)
    for group in groups if groups is not None else load_groups():
        for head, head_accented in zip(group.heads, group.accented_heads, strict=True):
            n = len(head)
            for i in range(len(folded) - n + 1):
                if tuple(folded[i:i + n]) != head:
                    continue
                if n == 1 and accented and tuple(plain[i:i + 1]) != head_accented:
                    continue  # "số" is not "sở"
                after = folded[i + n] if i + n < len(folded) else ""
                if n == 1 and (after.isdigit() or after == "hieu"):
                    continue  # "công văn số 608", "số hiệu"
                end = i + n
                while end < len(folded) and end - i < NAME_MAX_SYLLABLES and folded[end] not in _STOP:
                    end += 1
                # Shown as written only when it is a name ("Sở Y tế"), not a bare head ("huyện") or unaccented.
                name = " ".join(words[i:end]) if accented and end > i + n else ""
                return NamedAgency(group, name[:1].upper() + name[1:])
    return None


def names_document(question: str, number: str) -> bool:
    """True when the question names the document by its number ("608", "608/UBND-NCPC")."""
    digits = re.match(r"\d+", number or "")
    return digits is not None and digits.group(0) in folded_syllables(question)


def covering_line(collection: Collection, doc_id: str, group: AddresseeGroup) -> str | None:
    """The letter's own addressee line that `group` describes, as written."""
    for row in collection.doc_rows(doc_id):
        passage = collection.passages[int(row)]
        if passage.kind != "addressees":
            continue
        for item in parse_addressees(passage.text):
            tokens = folded_syllables(item)
            n = len(group.line)
            if any(tuple(tokens[i:i + n]) == group.line for i in range(len(tokens) - n + 1)):
                return item
    return None
