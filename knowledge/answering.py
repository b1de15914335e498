"""Compose the reply: the sentences of the best passage that answer, then where they come from.

Answers are extractive on purpose: the assistant speaks for a provincial government, so it quotes the documents
instead of paraphrasing them, and always says which point of which document it quotes.
"""
from __future__ import annotations

import re

import numpy as np

from nlp.text import folded_syllables

from knowledge.citation import cite
from knowledge.collection import Collection
from knowledge.terms import STOPWORDS_FOLDED, content_syllables

MAX_SENTENCES = 2
MAX_ANSWER_CHARS = 700
WHOLE_PASSAGE_WORDS = 60  # short passages (a signature, a short point) are quoted whole
_MARKER_RE = re.compile(r"^(?:[-–•+]\s+|\d{1,3}[.)]\s+|[a-zđ]\)\s+)")

DECLINE_TEXT = (
    "Xin lỗi, các văn bản mà hệ thống đang có (Công văn số 608/UBND-NCPC của UBND tỉnh Tây Ninh và các tài liệu "
    "liên quan) không đề cập nội dung này, nên tôi không thể trả lời chính xác. Nếu bạn có ý kiến, phản ánh "
    "hoặc kiến nghị, bạn có thể gửi phản ánh, kiến nghị để cơ quan có thẩm quyền xem xét, giải quyết."
)
EMPTY_TEXT = "Anh/chị vui lòng nhập câu hỏi về công tác dân vận hoặc về Công văn số 608/UBND-NCPC."


def compose_answer(collection: Collection, question: str, rows: list[int], query_vector: np.ndarray) -> str:
    """Quote the sentences of the top passage that best match the question, followed by the citation."""
    top = rows[0]
    passage = collection.passages[top]
    sentences = list(passage.sentences) or [passage.text]
    if len(passage.text.split()) <= WHOLE_PASSAGE_WORDS:
        chosen = sentences
    else:
        chosen = _best_sentences(collection, top, sentences, question, query_vector)
    quote = " ".join(_trim_marker(s) for s in chosen)
    if len(quote) > MAX_ANSWER_CHARS:
        quote = quote[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
    citation = cite(collection.docs[passage.doc_id], passage.section)
    answer = f"{citation}: “{quote}”"
    if len(rows) > 1:
        other = collection.passages[rows[1]]
        if (other.doc_id, other.section) != (passage.doc_id, passage.section):
            answer += f"\n{_see_also(cite(collection.docs[other.doc_id], other.section))}."
    return answer


def _see_also(citation: str) -> str:
    return "Xem thêm: " + citation[len("Theo "):] if citation.startswith("Theo ") else "Xem thêm: " + citation


def _best_sentences(
    collection: Collection, row: int, sentences: list[str], question: str, query_vector: np.ndarray
) -> list[str]:
    """Up to MAX_SENTENCES sentences in document order, ranked by cosine plus shared content syllables."""
    if len(sentences) <= MAX_SENTENCES:
        return sentences
    offsets = np.flatnonzero(collection.sentence_rows == row)
    if len(offsets) == len(sentences):
        cosine = collection.sentence_vectors[offsets] @ query_vector
    else:
        cosine = np.zeros(len(sentences), dtype=np.float32)
    q_terms = set(content_syllables(folded_syllables(question), STOPWORDS_FOLDED))
    overlap = np.array(
        [len(q_terms & set(folded_syllables(s))) / max(1, len(q_terms)) for s in sentences], dtype=np.float32
    )
    score = cosine + 0.5 * overlap
    best = sorted(np.argsort(-score)[:MAX_SENTENCES].tolist())
    if score[best].min() < score.max() - 0.08:  # the second sentence adds nothing: quote only the best one
        best = [int(np.argmax(score))]
    return [sentences[i] for i in best]


def _trim_marker(sentence: str) -> str:
    """Drop a leading bullet or item number ("- ", "6. "): the citation already says which point it is."""
    return _MARKER_RE.sub("", sentence, count=1)
