"""Text as the assistant quotes it: scanning errors corrected, quoted formulas found by the name the text gives them.

The letter was scanned, and a few words came out wrong ("phuong châm", a lost closing quote mark). Quoting them as
they are would put errors in the government's mouth; silently editing the stored source would break fidelity. So
the corrections are data (knowledge/data/scanfixes.yml), applied only to what is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.questionform import Cues
from nlp.text import folded_syllables

DEFAULT_FIXES = Path(__file__).resolve().parent / "data" / "scanfixes.yml"
# A span in typographic or straight double quotes; spans nested one level deep are kept whole.
_QUOTED_RE = re.compile(r"“([^“”]{3,200})”|\"([^\"]{3,200})\"")
LABEL_SYLLABLES = 3  # how far before a quote its name ("phương châm", "phong trào thi đua") is looked for


@lru_cache(maxsize=4)
def load_fixes(path: Path = DEFAULT_FIXES) -> tuple[tuple[str, str], ...]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return tuple((str(e["scanned"]), str(e["printed"])) for e in entries)


def clean_quote(text: str, fixes: tuple[tuple[str, str], ...] | None = None) -> str:
    """`text` with the known scanning errors corrected."""
    for scanned, printed in fixes if fixes is not None else load_fixes():
        if scanned in text:
            text = text.replace(scanned, printed)
    return text


@dataclass(frozen=True)
class NamedQuote:
    label: str  # the words before the quote that name it, as written ("phương châm"), or ""
    words: str  # the quoted words

    def sentence(self) -> str:
        if self.label:
            return f"{self.label[:1].upper()}{self.label[1:]}: “{self.words}”."
        return f"“{self.words}”."


def named_quotes(text: str, names: Cues) -> list[NamedQuote]:
    """The quoted spans of `text`, each with the name the text gives it when that name is one of `names`."""
    found: list[NamedQuote] = []
    for match in _QUOTED_RE.finditer(text):
        words = (match.group(1) or match.group(2)).strip()
        before = text[:match.start()].rstrip()
        head = re.findall(r"\w+", before)[-LABEL_SYLLABLES:]
        label = ""
        for start in range(len(head)):
            candidate = head[start:]
            if tuple(folded_syllables(" ".join(candidate))) in names:
                label = " ".join(candidate).lower()
                break
        found.append(NamedQuote(label, words))
    return found
