"""Provinces a question names, and whether the documents that would answer it mention them.

The documents are one province's letter and national texts. Asked "Tỉnh Bình Dương triển khai Kết luận 43 bằng
văn bản số mấy?", the letter's point 1 (about implementing Kết luận 43) matches almost every word, and the
abstention model answers with Tây Ninh's letter. A province the top passages' documents never name is a gate, like
a year they never mention (knowledge/abstention.py GATES).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.text import folded_syllables

DATA_FILE = Path(__file__).resolve().parent / "data" / "places.yml"


@dataclass(frozen=True)
class Places:
    names: tuple[tuple[str, ...], ...]  # folded syllables of each name

    @classmethod
    @lru_cache(maxsize=4)
    def load(cls, path: Path = DATA_FILE) -> Places:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = {tuple(folded_syllables(str(n))) for n in data.get("provinces") or []}
        return cls(tuple(sorted(n for n in names if n)))

    def named_in(self, text: str) -> frozenset[tuple[str, ...]]:
        """The names `text` holds as whole syllable sequences (with or without diacritics)."""
        tokens = tuple(folded_syllables(text))
        found = set()
        for name in self.names:
            n = len(name)
            if any(tokens[i:i + n] == name for i in range(len(tokens) - n + 1)):
                found.add(name)
        return frozenset(found)
