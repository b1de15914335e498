"""The routing table (petitions/data/agencies.yml): agencies, their keywords and example petitions.

It is data that operators edit, so it is checked strictly on load: a typo in an agency code or a missing fallback
fails at start-up with a message naming the entry, not later on a citizen's petition.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from petitions.codes import AGENCY_RE

MIN_EXAMPLES = 5


class RoutingTableError(ValueError):
    """The routing table file is malformed."""


@dataclass(frozen=True)
class Example:
    text: str
    topic: str
    agency: str


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class RoutingTable:
    agencies: tuple[AgencyEntry, ...]
    fallback: str  # the triage code, e.g. "chua-phan-loai"
    local_agency: str  # the code whose petitions carry the citizen's commune, e.g. "ubnd-cap-xa"
    triage_threshold: float | None  # None: calibrate by cross-validation
    digest: str  # sha256 of the file, keys the fitted-model cache

    @classmethod
    def load(cls, path: Path) -> RoutingTable:
        raw = Path(path).read_bytes()
        try:
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RoutingTableError(f"{path}: not valid UTF-8 YAML: {exc}") from exc
        return cls.from_dict(data, digest=hashlib.sha256(raw).hexdigest())

    @classmethod
    def from_dict(cls, data: dict[str, Any], digest: str = "") -> RoutingTable:
        agencies = tuple(_agency(item, i) for i, item in enumerate(data.get("agencies") or []))
        codes = [a.code for a in agencies]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise RoutingTableError(f"duplicate agency codes: {', '.join(duplicates)}")
        fallback = str(data.get("fallback", "chua-phan-loai"))
        local = str(data.get("local_agency", "ubnd-cap-xa"))
        for role, code in (("fallback", fallback), ("local_agency", local)):
            if code not in codes:
                raise RoutingTableError(f"{role} {code!r} is not one of the agencies")
        for agency in agencies:
            if agency.code != fallback and len(agency.examples) < MIN_EXAMPLES:
                raise RoutingTableError(f"{agency.code}: needs at least {MIN_EXAMPLES} examples")
        threshold = data.get("triage_threshold", "auto")
        if threshold in (None, "auto"):
            threshold_value = None
        else:
            threshold_value = float(threshold)
            if not 0.0 <= threshold_value < 1.0:
                raise RoutingTableError("triage_threshold must be 'auto' or a number in [0, 1)")
        if not digest:
            digest = hashlib.sha256(yaml.safe_dump(data, allow_unicode=True, sort_keys=True).encode()).hexdigest()
        return cls(agencies, fallback, local, threshold_value, digest)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.agencies)

    def get(self, code: str) -> AgencyEntry:
        for agency in self.agencies:
            if agency.code == code:
                return agency
        raise KeyError(code)

    def name_of(self, code: str) -> str:
        try:
            return self.get(code).name
        except KeyError:
            return code

    def examples(self) -> list[Example]:
        return [ex for agency in self.agencies for ex in agency.examples]


def _agency(item: Any, index: int) -> AgencyEntry:
    if not isinstance(item, dict):
        raise RoutingTableError(f"agency #{index + 1}: expected a mapping")
    code = str(item.get("code", ""))
    if not AGENCY_RE.match(code):
        raise RoutingTableError(f"agency #{index + 1}: bad code {code!r} (lowercase letters, digits and dashes)")
    name = str(item.get("name") or "").strip()
    if not name:
        raise RoutingTableError(f"{code}: missing name")
    keywords = tuple(str(k).strip() for k in item.get("keywords") or [] if str(k).strip())
    examples: list[Example] = []
    for group in item.get("examples") or []:
        topic = str(group.get("topic") or "").strip()
        if not topic:
            raise RoutingTableError(f"{code}: an example group has no topic")
        for text in group.get("texts") or []:
            if not isinstance(text, str):
                raise RoutingTableError(
                    f"{code} / {topic}: example {text!r} is not plain text; put it in double quotes "
                    "(a colon followed by a space makes YAML read a mapping)"
                )
            text = text.strip()
            if text:
                examples.append(Example(text=text, topic=topic, agency=code))
    return AgencyEntry(code, name, str(item.get("description") or "").strip(), keywords, tuple(examples))
