"""Spell out the abbreviations people type for document names ("kl 43", "nq25", "bbt") before a question is read.

The documents write "Kết luận số 43-KL/TW của Ban Bí thư"; a citizen types "kl 43 bbt". Lexical search finds "43" but
not "kết luận" or "Ban Bí thư", the embedding reads "kl" as noise, and the abstention model, which weighs how many
of the question's words the passages hold, declines. Kind abbreviations are spelled out only before a number, where
they cannot mean anything else ("ct 16" is Chỉ thị 16, while "ct xã" is a commune chairman).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.text import fold, has_diacritics

DATA_FILE = Path(__file__).resolve().parent / "data" / "abbreviations.yml"
_GLUED_RE = re.compile(r"\b([^\W\d_]{2,6})(\d+)\b")  # "kl114" → "kl 114"


@dataclass(frozen=True)
class Abbreviations:
    numbered: dict[str, str]  # key: the abbreviation, folded and lower case
    always: dict[str, str]

    @classmethod
    @lru_cache(maxsize=4)
    def load(cls, path: Path = DATA_FILE) -> Abbreviations:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({fold(k).lower(): str(v) for k, v in (data.get("numbered") or {}).items()},
                   {fold(k).lower(): str(v) for k, v in (data.get("always") or {}).items()})

    def expand(self, text: str) -> str:
        """`text` with every known abbreviation spelled out, in the question's own form (with or without
        diacritics); unchanged when it holds none."""
        accented = has_diacritics(text)

        def spelled(full: str) -> str:
            return full if accented else fold(full)

        def unglue(match: re.Match[str]) -> str:
            word = fold(match.group(1)).lower()
            return f"{match.group(1)} {match.group(2)}" if word in self.numbered else match.group(0)

        words = _GLUED_RE.sub(unglue, text).split(" ")
        out = []
        for i, word in enumerate(words):
            key = fold(word).lower()
            following = words[i + 1] if i + 1 < len(words) else ""
            if key in self.numbered and following[:1].isdigit():
                out.append(spelled(self.numbered[key]))
            elif key in self.always:
                out.append(spelled(self.always[key]))
            else:
                out.append(word)
        return " ".join(out)
