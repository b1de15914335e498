"""Vietnamese text normalisation shared by retrieval, routing and form validation.

People write the same word several ways: precomposed or combining accents (NFC vs NFD), "hoà" or "hòa", upper or lower
case, and very often no diacritics at all. Every comparison in the project goes through these functions so that the
indexes, the router and the dialogue agree on what "the same text" means.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from nlp.limits import MAX_RESTORE_CHARS, MAX_RESTORE_TOKEN_CHARS

# Combining tone marks (the five Vietnamese tones). Other combining marks (circumflex, breve, horn) belong to the
# letter itself and stay where they are.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
_SPACE_SPLIT_RE = re.compile(r"(\s+)")
# Clusters whose tone placement differs between the "old" style (hòa, khỏe, thủy) and the "new" one (hoà, khoẻ, thuỷ)
# when no consonant follows. We settle on the old style, which is what the provincial letter uses.
_OPEN_CLUSTER_RE = re.compile(r"^(?P<head>.*?)(?P<cluster>oa|oe|uy)$")


def _fix_tone_placement(word: str) -> str:
    """Move the tone of an open oa/oe/uy cluster onto its first vowel ("hoà" → "hòa"); other words are untouched."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) != 1:
        return word
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    match = _OPEN_CLUSTER_RE.match(bare.lower())
    if not match or match["head"].endswith("q"):  # "quý": the u belongs to the consonant
        return word
    pos = len(match["head"])  # index of the cluster's first vowel in `bare`
    out = bare[: pos + 1] + tones[0] + bare[pos + 1 :]
    return unicodedata.normalize("NFC", out)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """Replace lone surrogates (from broken UTF-16 or JSON escapes) with U+FFFD so encoders never choke on them."""
    return _SURROGATE_RE.sub("\ufffd", text)


def normalize(text: str) -> str:
    """NFC, one tone-mark placement, case folding and collapsed whitespace."""
    text = unicodedata.normalize("NFC", scrub(text))
    text = _WORD_RE.sub(lambda m: _fix_tone_placement(m.group(0)), text)
    text = text.casefold()
    return _SPACE_RE.sub(" ", text).strip()


def strip_diacritics(text: str) -> str:
    """Remove every diacritic (đ→d) but keep case and spacing; used for display-independent matching."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def fold(text: str) -> str:
    """Normalised text without diacritics: "Dân vận khéo" and "dan van kheo" fold to the same string."""
    return strip_diacritics(normalize(text))


def syllables(text: str) -> list[str]:
    """Word tokens (Vietnamese syllables, numbers, codes) of the normalised text."""
    return _WORD_RE.findall(normalize(text))


def folded_syllables(text: str) -> list[str]:
    """Word tokens of the folded text."""
    return _WORD_RE.findall(fold(text))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (including đ)."""
    return strip_diacritics(text) != unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1)
def _accent_restorer() -> Callable[[str], str]:
    # pyvi loads a CRF model on first use; keep that off import time.
    from pyvi import ViUtils

    return ViUtils.add_accents


def restore_diacritics(text: str) -> str:
    """Guess diacritics for text typed without them; text that already has diacritics is returned unchanged.

    The guess is rough (pyvi's CRF), so callers use it as an extra view next to the folded text, never instead of it.
    Its cost is bounded (nlp/limits.py): only the first MAX_RESTORE_CHARS characters are restored, and a run of more
    than MAX_RESTORE_TOKEN_CHARS characters without a space (a URL, a code, junk) is left as it is.
    """
    text = unicodedata.normalize("NFC", scrub(text))
    if not text.strip() or has_diacritics(text):
        return text
    head, tail = _split_at_space(text, MAX_RESTORE_CHARS)
    parts = _SPACE_SPLIT_RE.split(head)  # words at even indices, the whitespace between them at odd ones
    words = [i for i in range(0, len(parts), 2) if 0 < len(parts[i]) <= MAX_RESTORE_TOKEN_CHARS]
    if not words:
        return text
    guessed = str(_accent_restorer()(" ".join(parts[i] for i in words))).split(" ")
    if len(guessed) != len(words):  # never expected: pyvi maps each character to one character
        return text
    for i, word in zip(words, guessed, strict=True):
        parts[i] = word
    return unicodedata.normalize("NFC", "".join(parts) + tail)


def _split_at_space(text: str, limit: int) -> tuple[str, str]:
    """`text` cut into a head of at most `limit` characters, ending before a whitespace when there is one, and
    the rest."""
    if len(text) <= limit:
        return text, ""
    cut = max((m.start() for m in _SPACE_RE.finditer(text, 0, limit + 1)), default=limit) or limit
    return text[:cut], text[cut:]
