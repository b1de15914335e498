"""What shape of answer a question wants: a date, a signer, an issuer, a list of duties, what a document is.

The cue phrases are data (knowledge/data/questionforms.yml), matched on folded syllables so that "ai ký", "ai ky"
and "ai kí" read alike. The shape only decides how the reply is laid out from the retrieved passages
(knowledge/answering.py); retrieval and abstention do not use it.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.text import folded_syllables

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "questionforms.yml"

Cues = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Form:
    date: bool = False
    signer: bool = False
    issuer: bool = False
    listing: bool = False
    define: bool = False
    subject: bool = False
    named: bool = False
    duties: bool = False
    issued: bool = False
    addressed: bool = False
    count: bool = False
    recipients: bool = False
    closing: bool = False


@lru_cache(maxsize=4)
def _read(path: Path) -> dict[str, list[object]]:
    """The cue file, parsed once per path."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): list(v) for k, v in data.items() if isinstance(v, list)}


def _phrases(path: Path, key: str) -> Cues:
    """The phrases under `key` as folded syllable tuples (empty phrases dropped)."""
    folded = (tuple(folded_syllables(str(p))) for p in _read(path).get(key, []))
    return tuple(f for f in folded if f)


@lru_cache(maxsize=4)
def load_cues(path: Path = DEFAULT_PATH) -> dict[str, Cues]:
    """Each shape's phrases as folded syllable tuples; the file must name every shape of `Form`."""
    cues: dict[str, Cues] = {}
    for field in fields(Form):
        cues[field.name] = _phrases(path, field.name)
        if not cues[field.name]:
            raise ValueError(f"{path}: no phrases for the question shape {field.name!r}")
    return cues


def load_quote_names(path: Path = DEFAULT_PATH) -> Cues:
    """What the documents call the formulas they quote ("phương châm", "phong trào thi đua"), folded."""
    return _phrases(path, "quote_names")


def load_other_documents(path: Path = DEFAULT_PATH) -> Cues:
    """Kinds of document a question may be about besides the one it names (see questionforms.yml), folded."""
    return _phrases(path, "other_documents")


def load_reference_words(path: Path = DEFAULT_PATH) -> frozenset[str]:
    """Folded syllables that only point at a document or frame a question (see questionforms.yml)."""
    return frozenset(t for phrase in _phrases(path, "reference_words") for t in phrase)


def has_cue(tokens: list[str], cues: Cues) -> bool:
    """True when `tokens` (folded syllables) contain one of `cues` as a contiguous run."""
    for cue in cues:
        n = len(cue)
        if any(tuple(tokens[i:i + n]) == cue for i in range(len(tokens) - n + 1)):
            return True
    return False


def question_form(question: str, cues: dict[str, Cues] | None = None) -> Form:
    tokens = folded_syllables(question)
    cues = cues if cues is not None else load_cues()
    found = {name: has_cue(tokens, phrases) for name, phrases in cues.items()}
    found["signer"] = found["signer"] or ("ky" in tokens and "ai" in tokens)
    return Form(**found)
