"""Correct one-letter typos in a question against the words of the indexed documents.

People type fast on phones: "chín trị" for "chính trị", "thiêu gương mẫu" for "thiếu gương mẫu", "quyết địng" for
"quyết định". Neither lexical view recovers such a syllable: the accented BM25 view looks for "chín", the folded one
for "chin", and neither is in the passages that say "chính trị". A syllable is taken for a typo only when it forms no
word pair (bigram) of the documents with either neighbour and is a word nobody uses: a syllable of the documents or
of the sample questions (the accent model's vocabulary), a question word or a number is never touched — "bộ đội" is
not a typo of "bộ nội" because the letter happens to say "nội vụ". It is replaced by the word one edit away (a letter
or a mark added, dropped or changed) that pairs with each neighbour that is a content word, the one whose pairs the
documents use most; with no such word it stays as typed.
"""
from __future__ import annotations

from collections.abc import Iterable

from knowledge.bm25 import BM25
from nlp.limits import MAX_SPELLING_TOKEN_CHARS


class SpellingFixer:
    """Single-edit corrections from a BM25 vocabulary of unigrams and "a_b" bigrams (accented or folded)."""

    def __init__(self, vocabulary: BM25, stopwords: Iterable[str], known: Iterable[str] = ()) -> None:
        """`known`: words that are never typos (besides the vocabulary's own unigrams and `stopwords`)."""
        self.vocabulary = vocabulary
        self.stopwords = frozenset(stopwords)
        self.known = frozenset(known)
        self._by_key: dict[str, set[str]] = {}  # a word, and each word with one letter deleted -> words
        longest = 0
        for term in vocabulary.postings:
            if "_" not in term and term.isalpha() and len(term) > 1:
                longest = max(longest, len(term))
                for key in _keys(term):
                    self._by_key.setdefault(key, set()).add(term)
        # A word one edit from a vocabulary word is at most one letter longer; a longer one has no candidates, and
        # building its deletion keys costs the square of its length (nlp/limits.py).
        self._max_suspect = min(longest + 1, MAX_SPELLING_TOKEN_CHARS)

    def fix(self, tokens: list[str]) -> list[str]:
        """`tokens` with each typo replaced (left to right, so a corrected word is the next one's neighbour)."""
        out = list(tokens)
        for i, token in enumerate(out):
            if not self._suspect(out, i):
                continue
            best, best_score = token, 0
            for candidate in self._candidates(token):
                if not all(self._pair(out, i, j, candidate) for j in self._content_neighbours(out, i)):
                    continue
                score = self._pairs(out, i, candidate)
                if score > best_score or (score == best_score and score and candidate < best):
                    best, best_score = candidate, score
            out[i] = best
        return out

    def _suspect(self, tokens: list[str], i: int) -> bool:
        token = tokens[i]
        if len(token) > self._max_suspect:
            return False
        if token in self.stopwords or token in self.known or token in self.vocabulary or not token.isalpha():
            return False
        return bool(self._content_neighbours(tokens, i)) and self._pairs(tokens, i, token) == 0

    def _content_neighbours(self, tokens: list[str], i: int) -> list[int]:
        """Positions of the neighbours a correction must pair with: words that are not question or function words."""
        return [j for j in (i - 1, i + 1)
                if 0 <= j < len(tokens) and tokens[j].isalpha() and tokens[j] not in self.stopwords]

    def _pair(self, tokens: list[str], i: int, j: int, word: str) -> int:
        """How many passages use `word` beside the question's word at position j."""
        pair = f"{tokens[j]}_{word}" if j < i else f"{word}_{tokens[j]}"
        return self.vocabulary.df(pair)

    def _pairs(self, tokens: list[str], i: int, word: str) -> int:
        """How many passages use `word` next to the question's neighbour(s), summed over both sides."""
        return sum(self._pair(tokens, i, j, word) for j in (i - 1, i + 1) if 0 <= j < len(tokens))

    def _candidates(self, token: str) -> set[str]:
        found: set[str] = set()
        for key in _keys(token):
            found |= self._by_key.get(key, set())
        found.discard(token)
        return {w for w in found if _one_edit(token, w)}


def _keys(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance 1 (the shared delete keys also pair words two edits apart, like "ab"/"ba")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=False)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
