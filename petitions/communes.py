"""The province's communes and wards, and a forgiving match of what a citizen types against them.

People write "xa hao duoc", "P. Tân Ninh", "Hảo Đước, Châu Thành" or an old name from before the 2025 merger. The
match folds diacritics and case, drops the "xã/phường/thị trấn" prefix, accepts former names and small typos; a
name it cannot place is kept exactly as typed with `matched=False`, so an operator can fix it and the citizen is never
blocked.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlp.text import fold, has_diacritics, normalize

KIND_LABELS = {"xa": "xã", "phuong": "phường"}
_PREFIXES = (
    "uy ban nhan dan",
    "ubnd",
    "thi tran",
    "phuong",
    "xa",
    "tt",
    "p",
    "x",
)
_PREFIX_RE = re.compile(r"^(?:(?:" + "|".join(re.escape(p) for p in _PREFIXES) + r")\b[\s.:]*)+")
_TAIL_RE = re.compile(r"\b(?:huyen|tinh|thanh pho|tp|thi xa|tx|quan)\b.*$")
_PUNCT_RE = re.compile(r"[^\w\s]")
_SPACE_RE = re.compile(r"\s+")
_MAX_TYPED = 200


@dataclass(frozen=True)
class Commune:
    """One current commune-level unit."""

    code: str
    name: str
    kind: str  # "xa" or "phuong"
    area: str = ""
    former: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """"xã Hảo Đước", "phường Tân Ninh"."""
        return f"{KIND_LABELS[self.kind]} {self.name}"


@dataclass(frozen=True)
class CommuneMatch:
    """The outcome of matching a typed commune; `name` is canonical when matched, else exactly as typed (trimmed)."""

    typed: str
    matched: bool
    name: str
    code: str | None = None
    kind: str | None = None
    via_former_name: bool = False
    candidates: tuple[str, ...] = field(default_factory=tuple)

    @property
    def full_name(self) -> str:
        return f"{KIND_LABELS[self.kind]} {self.name}" if self.matched and self.kind else self.name


def _clean(text: str) -> str:
    """Folded, punctuation-free text with a leading unit prefix removed."""
    folded = _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", fold(text))).strip()
    return _PREFIX_RE.sub("", folded).strip()


class CommuneDirectory:
    """All current communes, indexed by folded name and by former names."""

    def __init__(self, communes: list[Commune]) -> None:
        self.communes = list(communes)
        self.by_code = {c.code: c for c in self.communes}
        if len(self.by_code) != len(self.communes):
            dupes = sorted(code for code, n in Counter(c.code for c in self.communes).items() if n > 1)
            raise ValueError(f"duplicate commune codes {', '.join(dupes)}: give one of them an explicit `code`")
        self._by_folded: dict[str, list[Commune]] = {}
        self._by_former: dict[str, Commune] = {}
        for c in self.communes:
            self._by_folded.setdefault(_clean(c.name), []).append(c)
        for c in self.communes:
            for old in c.former:
                key = _clean(old)
                if key in self._by_folded:
                    raise ValueError(f"former name {old!r} of {c.full_name} is also a current unit's name")
                self._by_former[key] = c
        # Longest names first so that "Nhơn Hòa Lập" wins over "Nhơn Hòa" inside a sentence.
        self._all_keys = sorted({*self._by_folded, *self._by_former}, key=len, reverse=True)

    @classmethod
    def load(cls, path: Path) -> CommuneDirectory:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        communes: list[Commune] = []
        for kind in ("phuong", "xa"):
            for item in data.get(kind) or []:
                name = str(item["name"]).strip()
                code = item.get("code") or f"{kind}-{_clean(name).replace(' ', '-')}"
                former = tuple(str(x) for x in item.get("former") or ())
                communes.append(Commune(code=code, name=name, kind=kind, area=str(item.get("area", "")), former=former))
        return cls(communes)

    def __len__(self) -> int:
        return len(self.communes)

    def get(self, code: str) -> Commune | None:
        return self.by_code.get(code)

    def match(self, text: str) -> CommuneMatch:
        """Place a typed commune name; never raises for odd input, returns `matched=False` instead."""
        typed = _SPACE_RE.sub(" ", (text or "")).strip()[:_MAX_TYPED]
        key = _clean(typed)
        if not key:
            return CommuneMatch(typed=typed, matched=False, name=typed)
        wants_kind = self._kind_hint(typed)
        found = self._exact(typed, key, wants_kind) or self._inside(typed, key, wants_kind)
        if isinstance(found, CommuneMatch):
            return found
        candidates = self._close(key)
        if len(candidates) == 1:
            return self._hit(typed, candidates[0], via_former=False)
        return CommuneMatch(
            typed=typed, matched=False, name=typed, candidates=tuple(c.full_name for c in candidates)
        )

    def suggestions(self, text: str, limit: int = 3) -> list[Commune]:
        """Closest communes by spelling, for a "did you mean" reply."""
        key = _clean(text or "")
        if not key:
            return []
        keys = difflib.get_close_matches(key, list(self._by_folded), n=limit, cutoff=0.6)
        return [c for k in keys for c in self._by_folded[k]][:limit]

    # -- matching steps ---------------------------------------------------------------------------------------------

    @staticmethod
    def _kind_hint(typed: str) -> str | None:
        head = fold(typed).lstrip()
        if re.match(r"^(?:phuong|p\.)", head):
            return "phuong"
        if re.match(r"^(?:xa|x\.)\b", head):
            return "xa"
        return None

    def _hit(self, typed: str, commune: Commune, *, via_former: bool) -> CommuneMatch:
        return CommuneMatch(
            typed=typed,
            matched=True,
            name=commune.name,
            code=commune.code,
            kind=commune.kind,
            via_former_name=via_former,
        )

    def _resolve(self, typed: str, key: str, wants_kind: str | None) -> CommuneMatch | None:
        """Match one folded key; settle a folded collision (Tân Thành / Tân Thạnh) by diacritics or kind."""
        options = self._by_folded.get(key)
        if options:
            if len(options) > 1 and wants_kind:
                options = [c for c in options if c.kind == wants_kind] or options
            if len(options) > 1 and has_diacritics(typed):
                typed_norm = normalize(typed)
                options = [c for c in options if normalize(c.name) in typed_norm] or options
            if len(options) == 1:
                return self._hit(typed, options[0], via_former=False)
            return CommuneMatch(
                typed=typed, matched=False, name=typed, candidates=tuple(c.full_name for c in options)
            )
        former = self._by_former.get(key)
        if former is not None:
            return self._hit(typed, former, via_former=True)
        return None

    def _exact(self, typed: str, key: str, wants_kind: str | None) -> CommuneMatch | None:
        found = self._resolve(typed, key, wants_kind)
        if found is None:
            trimmed = _TAIL_RE.sub("", key).strip()  # "hao duoc huyen chau thanh" -> "hao duoc"
            if trimmed and trimmed != key:
                found = self._resolve(typed, trimmed, wants_kind)
        return found

    def _inside(self, typed: str, key: str, wants_kind: str | None) -> CommuneMatch | None:
        """A known name inside a longer phrase, preferring one right after "xã"/"phường"."""
        folded = " " + _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", fold(typed))).strip() + " "
        after_prefix: list[str] = []
        anywhere: list[str] = []
        for name_key in self._all_keys:
            for m in re.finditer(rf"(?<= ){re.escape(name_key)}(?= )", folded):
                before = folded[: m.start()].rstrip().rsplit(" ", 1)[-1]
                (after_prefix if before in ("xa", "phuong", "tran", "p", "x") else anywhere).append(name_key)
                break
        for group in (after_prefix, anywhere):
            if group:
                return self._resolve(typed, group[0], wants_kind)
        return None

    def _close(self, key: str) -> list[Commune]:
        """Communes within a small spelling distance of the folded key (typos such as "hao duc")."""
        trimmed = _TAIL_RE.sub("", key).strip() or key
        keys = difflib.get_close_matches(trimmed, list(self._by_folded) + list(self._by_former), n=3, cutoff=0.85)
        out: list[Commune] = []
        for k in keys:
            for c in self._by_folded.get(k, []) or [self._by_former[k]]:
                if c not in out:
                    out.append(c)
        return out
