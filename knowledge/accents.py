"""Put diacritics back on a question typed without them, using the indexed documents as the language model.

pyvi's general restorer guesses "công vấn", "dân văn" for this domain; the documents themselves say "công văn" and
"dân vận" hundreds of times. A bigram model over the corpus (with pyvi's guess as a weak prior, and for words the
corpus never uses) picks, for each folded syllable, the accented form that fits its neighbours best.

The documents are written in official prose, though, and questions are not: "bao nhiêu", "nói về", "mấy", "hiện nay"
are rare or absent in them, so a corpus-only model turns "noi ve" into "nội về" (from "nội dung") and "bao nhieu"
into "bao nhiều". The project's calibration questions typed with diacritics (knowledge/data/calibration.jsonl) are
added as a sample of how people ask. They are merged when the model is built or loaded and never saved with the
index, so an index built before a change of the sample still restores with the current one.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.terms import STOPWORDS_ACCENTED
from nlp.text import fold, has_diacritics, restore_diacritics, syllables

_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+")
_KAPPA = 3.0  # Dirichlet smoothing: how many bigram observations the unigram estimate is worth
_PRIOR_WEIGHT = 2.0  # pseudo-count given to everyday function words
_GUESS_BONUS = 2.0  # pyvi's guess counts double: it knows general Vietnamese, the corpus knows the domain
QUESTION_SAMPLE = Path(__file__).resolve().parent / "data" / "calibration.jsonl"
_SAMPLE_FORMS = ("diacritics", "colloquial", "typo")  # a typo question misspells one word, its others are sound
_COMMON_WORDS = STOPWORDS_ACCENTED | frozenset(
    [
        "ngày", "năm", "tháng", "ai", "nào", "gì", "đâu", "bao", "nhiêu", "khi", "nào", "thế", "nào", "ra", "sao", "có",
        "không", "được", "phải", "cần", "muốn", "hỏi", "biết", "ký", "ban", "hành", "ở", "đâu", "người", "dân", "xã",
        "phường", "tỉnh", "huyện",
    ]
)


class AccentModel:
    """Accented forms of each folded syllable, with unigram and bigram counts from the indexed passages."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[str], questions: bool = True) -> None:
        """`unigrams`/`bigrams` come from the documents (and are what `to_dict` saves); with `questions`, the counts
        of the calibration questions are added for restoring."""
        self.corpus_unigrams = unigrams
        self.corpus_bigrams = bigrams
        self.unigrams = unigrams
        self.bigrams = bigrams  # "a b" -> count
        if questions:
            q_unigrams, q_bigrams = question_counts()
            self.unigrams = unigrams + q_unigrams
            self.bigrams = bigrams + q_bigrams
        self.forms: dict[str, list[str]] = {}
        for word in self.unigrams:
            self.forms.setdefault(fold(word), []).append(word)
        self.total = sum(self.unigrams.values())

    @classmethod
    def build(cls, texts: Iterable[str]) -> AccentModel:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        for text in texts:
            tokens = syllables(_URL_RE.sub(" ", text))  # URL slugs are Vietnamese without diacritics
            unigrams.update(tokens)
            bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
        for word in _COMMON_WORDS:
            unigrams[word] += int(_PRIOR_WEIGHT)
        return cls(unigrams, bigrams)

    def restore(self, text: str) -> str:
        """Lower-case syllables of `text` with the most likely diacritics; text with diacritics is left as is."""
        tokens = syllables(text)
        if not tokens or any(fold(t) != t for t in tokens):
            return " ".join(tokens)
        guess = syllables(restore_diacritics(text))
        if len(guess) != len(tokens) or any(fold(g) != t for g, t in zip(guess, tokens, strict=False)):
            guess = list(tokens)
        return " ".join(self._viterbi(tokens, guess))

    def _unigram_p(self, form: str) -> float:
        return (self.unigrams.get(form, 0) + 0.5) / (self.total + 0.5 * len(self.unigrams))

    def _viterbi(self, tokens: list[str], guess: list[str]) -> list[str]:
        """Most likely accented sentence under a smoothed bigram model of the corpus, one form per folded syllable.

        Back-pointers rather than a copied path per candidate: time and memory stay linear in the question's length.
        """
        lattice = []
        for token, g in zip(tokens, guess, strict=False):
            cands = set(self.forms.get(token, ())) | {g}
            lattice.append({c: self._unigram_p(c) * (_GUESS_BONUS if c == g else 1.0) for c in cands})
        best = {c: math.log(p) for c, p in lattice[0].items()}
        back: list[dict[str, str]] = []
        for column in lattice[1:]:
            step: dict[str, float] = {}
            came_from: dict[str, str] = {}
            for cand, uni_p in column.items():
                options = []
                for prev, score in best.items():
                    pair = self.bigrams.get(f"{prev} {cand}", 0)
                    p = (pair + _KAPPA * uni_p) / (self.unigrams.get(prev, 0) + _KAPPA)
                    options.append((score + math.log(p), prev))
                step[cand], came_from[cand] = max(options, key=lambda o: o[0])
            best = step
            back.append(came_from)
        word = max(best, key=lambda c: best[c])
        path = [word]
        for came_from in reversed(back):
            word = came_from[word]
            path.append(word)
        return path[::-1]

    def to_dict(self) -> dict[str, Any]:
        return {"unigrams": dict(self.corpus_unigrams), "bigrams": dict(self.corpus_bigrams)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccentModel:
        return cls(Counter(data["unigrams"]), Counter(data["bigrams"]))


@lru_cache(maxsize=4)
def question_counts(path: Path = QUESTION_SAMPLE) -> tuple[Counter[str], Counter[str]]:
    """Syllable and bigram counts of the sample questions typed with diacritics; empty when the file is missing."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return unigrams, bigrams
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        question = str(item.get("question", ""))
        if item.get("lang_form", "diacritics") not in _SAMPLE_FORMS or not has_diacritics(question):
            continue
        tokens = syllables(question)
        unigrams.update(tokens)
        bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return unigrams, bigrams
