"""Index terms for the lexical views: syllables with diacritics, folded syllables, and their bigrams.

Vietnamese words are mostly two syllables ("dân vận", "cán bộ"), so a bigram term carries the word and keeps
"thi đua" apart from "thì". Question words ("gì", "nào", "không") say nothing about where the answer is and are
dropped from queries, never from passages.
"""
from __future__ import annotations

from collections.abc import Iterable

from nlp.text import folded_syllables, syllables

# Function and question words of everyday Vietnamese questions, and the fillers of southern speech ("biểu" = tell,
# "ổng" = he, "hông" = không, "dzậy" = vậy) (accented, normalised forms).
STOPWORDS_ACCENTED = frozenset(
    [
        "à", "ạ", "ai", "anh", "ấy", "bà", "bác", "bạn", "bao", "bằng", "bị", "bởi", "các", "cái", "cần", "cậu", "chị",
        "chỉ", "cho", "chứ", "chúng", "chưa", "có", "còn", "của", "cũng", "đã", "đang", "đây", "đấy", "để", "đến", "đó",
        "đều", "gì", "giùm", "giúp", "hả", "hay", "hãy", "hỏi", "hở", "không", "ko", "k", "hok", "khỏi", "kìa", "là",
        "lắm", "lại", "mà", "mấy", "mình", "mới", "một", "nào", "nay", "này", "nên", "nếu", "nhé", "nhỉ", "như",
        "những", "nữa", "ơi", "ra", "rằng", "rồi", "sao", "sẽ", "tại", "thế", "thì", "tôi", "trong", "từ", "từng",
        "vẫn", "về", "vì", "với", "vậy", "vô", "xin", "đâu", "em", "ông", "nhiêu", "được", "thôi", "luôn", "đi", "nha",
        "nhá", "hen", "ha", "ta", "bên", "cạnh", "ngoài", "hông", "hổng", "nhen", "nghen", "ổng", "bả", "tui", "biểu",
        "cứ", "dzậy", "dợ",
    ]
)
# Without diacritics many function words collide with content words ("van" is "vẫn" and "văn", "can" is "cần" and
# "cán", "thi" is "thì" and "thi đua"), so the folded list is a short curated one of unambiguous question words.
STOPWORDS_FOLDED = frozenset(
    [
        "gi", "nao", "khong", "ko", "k", "hok", "hong", "sao", "ai", "la", "cua", "va", "cac", "nhung", "o", "voi",
        "hay", "hoac", "nhe", "nha", "a", "ha", "ne", "oi", "ua", "chu", "roi", "se", "da", "duoc", "bi", "cho", "ve",
        "em", "ong", "nhi", "ak", "ah", "neu", "mot", "vay", "nhieu", "tui", "nhen", "nghen", "dzay",
    ]
)


def with_bigrams(tokens: list[str]) -> list[str]:
    """Unigrams followed by adjacent pairs joined with "_"."""
    return tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def passage_terms(text: str) -> tuple[list[str], list[str]]:
    """(accented terms, folded terms) of a passage, unigrams and bigrams, nothing dropped."""
    return with_bigrams(syllables(text)), with_bigrams(folded_syllables(text))


def query_terms_accented(text: str) -> list[str]:
    return _query_terms(syllables(text), STOPWORDS_ACCENTED)


def query_terms_folded(text: str) -> list[str]:
    return _query_terms(folded_syllables(text), STOPWORDS_FOLDED)


def _query_terms(tokens: list[str], stop: frozenset[str]) -> list[str]:
    """Content unigrams plus every bigram that has at least one content syllable."""
    unigrams = [t for t in tokens if t not in stop]
    bigrams = [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False) if not (a in stop and b in stop)]
    return unigrams + bigrams


def content_syllables(tokens: Iterable[str], stop: frozenset[str]) -> list[str]:
    """Tokens that carry meaning: not a stop word, and numbers only when they have two digits or more."""
    return [t for t in tokens if (t.isdigit() and len(t) >= 2) or (not t.isdigit() and t not in stop)]
