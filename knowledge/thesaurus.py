"""Expand a question with the documents' own words for what the asker said in everyday words.

People ask about "bộ đội, công an" and "cán bộ gây khó dễ"; the letter says "lực lượng vũ trang" and "nhũng nhiễu,
hách dịch, cửa quyền". BM25 cannot see that these are the same thing and a small embedding model often misses it
too, so a curated table (knowledge/data/thesaurus.yml, editable) adds the official wording to the lexical query.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.text import folded_syllables, syllables

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "thesaurus.yml"


@dataclass(frozen=True)
class _Entry:
    accented: tuple[tuple[str, ...], ...]
    folded: tuple[tuple[str, ...], ...]
    means: str


class Thesaurus:
    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        # first syllable -> (entry number, phrase): a question is scanned once instead of once per phrase
        self._first: tuple[dict[str, list[tuple[int, tuple[str, ...]]]], ...] = ({}, {})
        for number, entry in enumerate(entries):
            for side, phrases in enumerate((entry.accented, entry.folded)):
                for phrase in phrases:
                    if phrase:
                        self._first[side].setdefault(phrase[0], []).append((number, phrase))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Thesaurus:
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        entries = []
        for item in data:
            phrases = [str(p) for p in item.get("say", [])]
            entries.append(
                _Entry(
                    accented=tuple(tuple(syllables(p)) for p in phrases),
                    folded=tuple(tuple(folded_syllables(p)) for p in phrases),
                    means=str(item["means"]),
                )
            )
        return cls(entries)

    def expand(self, tokens: list[str], *, accented: bool) -> list[str]:
        """Official wordings for every everyday phrase found in `tokens` (accented or folded syllables)."""
        return [means for _, means in self.matches(tokens, accented=accented)]

    def matches(self, tokens: list[str], *, accented: bool) -> list[tuple[frozenset[str], str]]:
        """(syllables of the everyday phrases found, official wording) for each entry that applies."""
        index = self._first[0 if accented else 1]
        hits: dict[int, set[str]] = {}
        for i, token in enumerate(tokens):
            for number, phrase in index.get(token, ()):
                if tuple(tokens[i:i + len(phrase)]) == phrase:
                    hits.setdefault(number, set()).update(phrase)
        return [(frozenset(hits[n]), self.entries[n].means) for n in sorted(hits)]
