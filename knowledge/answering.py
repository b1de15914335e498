"""Compose the reply: the asked fact first, in one or two sentences taken from the passages, then where it comes from.

Answers are extractive on purpose: the assistant speaks for a provincial government, so it quotes the documents
instead of paraphrasing them. What it may do is choose: the one clause of a long point that answers, the field of a
header or signature block that was asked for (a date, a signer — never the scanning noise around them), or the list
a letter's opening announces when the question asks for its duties. Every sentence of a reply is a quote of, or a
field read from, a passage it cites; the whole passage travels beside the reply (`Composed.full_text`) for a
"Xem nguyên văn" button.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from knowledge.blocks import office, parse_addressees, parse_header, parse_signature
from knowledge.citation import place_name, short_issuer, short_name, source_line
from knowledge.collection import Collection
from knowledge.models import DocInfo, Passage
from knowledge.paragraphs import is_caps, split_glued_heading
from knowledge.questionform import Form, question_form
from knowledge.terms import STOPWORDS_FOLDED, content_syllables
from nlp.text import folded_syllables

MAX_FACT_CHARS = 360  # the fact part of a reply; the full passage is behind "Xem nguyên văn"
CANDIDATE_PASSAGES = 3  # passages whose sentences may be quoted (the top 3, which the sources list shows first)
RANK_PENALTY = 0.05  # a sentence of the second passage must beat one of the first by this much
OVERLAP_WEIGHT = 0.5
BIGRAM_WEIGHT = 0.3
SECOND_UNIT_MARGIN = 0.04  # a second sentence is added only when it scores nearly as well as the best
CLAUSE_SPLIT_WORDS = 30  # sentences longer than this are offered clause by clause (at ";")
LIST_GIST_CHARS = 110
BLOCK_KINDS = ("header", "signature", "addressees", "recipients")
LIST_ANCHORS = ("opening", "closing", "header", "addressees", "signature", "recipients")
SUMMARY_PENALTY = 0.15  # a card's sentence yields to official text that matches as well
_MARKER_RE = re.compile(r"^(?:[-–•+]\s+|\d{1,3}[.)]\s+|[a-zđ]\)\s+)")
_REQUEST_RE = re.compile(r"(?:^|[,;:”]\s+)([^,;:“”]*?\b(?:yêu cầu|đề nghị|giao)\b.*)$", re.S)

DECLINE_TEXT = (
    "Xin lỗi, các văn bản mà hệ thống đang có (Công văn số 608/UBND-NCPC của UBND tỉnh Tây Ninh và các tài liệu "
    "liên quan) không đề cập nội dung này, nên tôi không thể trả lời chính xác. Nếu bạn có ý kiến, phản ánh "
    "hoặc kiến nghị, bạn có thể gửi phản ánh, kiến nghị để cơ quan có thẩm quyền xem xét, giải quyết."
)
EMPTY_TEXT = "Bạn vui lòng nhập câu hỏi về công tác dân vận hoặc về Công văn số 608/UBND-NCPC."


@dataclass(frozen=True)
class Composed:
    """The reply (fact, then the "Nguồn: …" line) and the full passages it was taken from."""

    text: str
    full_text: str


@dataclass
class _Unit:
    text: str
    rank: int
    row: int
    order: int  # position in its passage
    score: float = 0.0


def compose_answer(
    collection: Collection, question: str, rows: list[int], query_vector: np.ndarray, expansions: list[str] = ()
) -> Composed:
    """The reply for `question` from the ranked passages `rows` (best first)."""
    form = question_form(question)
    top = collection.passages[rows[0]]
    doc = collection.docs[top.doc_id]
    if top.kind in LIST_ANCHORS and form.listing and not (form.date or form.signer or form.issuer or form.subject):
        composed = _list_answer(collection, doc)
        if composed is not None:
            return composed
    if top.kind in BLOCK_KINDS:
        return _block_answer(collection, doc, top, form)
    if doc.summary and form.define:
        composed = _card_answer(collection, doc, rows[0])
        if composed is not None:
            return composed
    return _quote_answer(collection, question, rows, query_vector, expansions)


# ------------------------------------------------------------------------------------------------ quoting sentences
def _quote_answer(
    collection: Collection, question: str, rows: list[int], query_vector: np.ndarray, expansions: list[str]
) -> Composed:
    """The one or two sentences (or clauses) of the top passages that best match the question."""
    bm25 = collection.bm25_folded
    q_tokens = folded_syllables(" ".join([question, *expansions]))
    q_terms = set(content_syllables(folded_syllables(question), STOPWORDS_FOLDED))
    q_terms |= set(content_syllables(folded_syllables(" ".join(expansions)), STOPWORDS_FOLDED))
    idf = {t: (bm25.idf(t) if t in bm25 else 0.0) for t in q_terms}
    q_mass = sum(idf.values()) or 1.0
    q_pairs = {(a, b) for a, b in zip(q_tokens, q_tokens[1:], strict=False) if a not in STOPWORDS_FOLDED or b not in STOPWORDS_FOLDED}
    units: list[_Unit] = []
    headings: dict[int, str] = {}
    candidates = [r for r in rows[:CANDIDATE_PASSAGES] if collection.passages[r].kind not in BLOCK_KINDS]
    if not candidates:
        top = collection.passages[rows[0]]
        return _block_answer(collection, collection.docs[top.doc_id], top, question_form(question))
    for rank, row in enumerate(candidates):
        passage = collection.passages[row]
        sentences = list(passage.sentences) or [passage.text]
        cosines = _sentence_cosines(collection, row, len(sentences), query_vector)
        order = 0
        for i, sentence in enumerate(sentences):
            sentence = _MARKER_RE.sub("", sentence, count=1)
            if i == 0:
                heading, sentence = split_glued_heading(sentence, more_lines=len(sentences) > 1)
                if heading:
                    headings[row] = heading
                if not sentence:
                    continue
            if _is_label(sentence):  # "(Kèm theo Quyết định số …)", a title in capitals: they name, they do not answer
                continue
            for piece in _clauses(sentence):
                terms = folded_syllables(piece)
                overlap = sum(idf[t] for t in q_terms & set(terms)) / q_mass
                pairs = set(zip(terms, terms[1:], strict=False))
                bigram = len(q_pairs & pairs) / max(1, len(q_pairs))
                score = float(cosines[i]) + OVERLAP_WEIGHT * overlap + BIGRAM_WEIGHT * bigram - RANK_PENALTY * rank
                score -= SUMMARY_PENALTY * collection.docs[passage.doc_id].summary
                units.append(_Unit(piece, rank, row, order, score))
                order += 1
    if not units:
        passage = collection.passages[candidates[0]]
        units = [_Unit(_MARKER_RE.sub("", passage.text.split("\n")[0], count=1), 0, candidates[0], 0)]
    best = max(units, key=lambda u: u.score)
    chosen = [best]
    rivals = [u for u in units if u.row == best.row and u is not best and u.score >= best.score - SECOND_UNIT_MARGIN]
    if rivals:
        second = max(rivals, key=lambda u: u.score)
        if len(best.text) + len(second.text) <= MAX_FACT_CHARS:
            chosen = sorted([best, second], key=lambda u: u.order)
    fact = _cap(" ".join(u.text for u in chosen), MAX_FACT_CHARS)
    passage = collection.passages[best.row]
    doc = collection.docs[passage.doc_id]
    line = source_line(doc, [passage.section], headings.get(best.row, ""))
    return Composed(f"“{fact}”\n{line}", _full(collection, [best.row]))


def _is_label(sentence: str) -> bool:
    text = sentence.strip()
    return (text.startswith("(") and text.endswith(")")) or is_caps(text)


def _clauses(sentence: str) -> list[str]:
    """A long sentence offered clause by clause (split at ";"), later clauses marked as taken from within it."""
    if len(sentence.split()) <= CLAUSE_SPLIT_WORDS or ";" not in sentence:
        return [sentence]
    parts = [p.strip() for p in sentence.split(";") if p.strip()]
    return [p if k == 0 else f"…{p}" for k, p in enumerate(parts)]


def _sentence_cosines(collection: Collection, row: int, n: int, query_vector: np.ndarray) -> np.ndarray:
    offsets = np.flatnonzero(collection.sentence_rows == row)
    if len(offsets) == n:
        return collection.sentence_vectors[offsets] @ query_vector
    return np.zeros(n, dtype=np.float32)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;: ") + " …"


# --------------------------------------------------------------------------------------------- header and signature
def _block_answer(collection: Collection, doc: DocInfo, top: Passage, form: Form) -> Composed:
    """The field asked for (date, signer, issuer, addressees), read from the document's formal blocks."""
    rows = {p.kind: r for r, p in _doc_rows(collection, doc.doc_id) if p.kind in BLOCK_KINDS}
    header = parse_header(collection.passages[rows["header"]].text) if "header" in rows else None
    signature = parse_signature(collection.passages[rows["signature"]].text) if "signature" in rows else None
    issuer = short_issuer(doc.issuer)
    facts: list[str] = []
    used: list[int] = []
    ask_date, ask_signer = form.date, form.signer
    if not (form.date or form.signer or form.issuer or form.subject):
        ask_date = top.kind == "header"
        ask_signer = top.kind == "signature"
    if top.kind == "addressees" and not (form.date or form.signer):
        items = parse_addressees(top.text)
        facts.append(f"{doc.kind or 'Văn bản'} {doc.number} gửi: {'; '.join(items)}.")
        used.append(rows["addressees"])
    elif top.kind == "recipients" and not (form.date or form.signer):
        items = parse_addressees(re.sub(r"^(?:Nơi nhận|NƠI NHẬN)\s*:?\s*", "", top.text))
        facts.append(f"Nơi nhận của {short_name(doc)}: {'; '.join(items)}.")
        used.append(rows["recipients"])
    if form.issuer and header is not None:
        quoted = f" (“{header.issuer}”)" if header.issuer else ""
        facts.append(f"Cơ quan ban hành: {issuer}{quoted}.")
        used.append(rows["header"])
        opening = next(((r, p) for r, p in _doc_rows(collection, doc.doc_id) if p.kind == "opening"), None)
        request = _REQUEST_RE.search(opening[1].text) if opening is not None else None
        if request is not None:
            facts.append(f"“{_cap(request.group(1).strip(), MAX_FACT_CHARS // 2)}”")
            used.append(opening[0])  # type: ignore[index]
    if form.subject and header is not None and header.subject:
        facts.append(f"{doc.kind or 'Văn bản'} {doc.number}: V/v {header.subject}.")
        used.append(rows["header"])
    if ask_date and doc.date:
        name = f"{doc.kind or 'Văn bản'} {doc.number}".strip()
        place = f" (“{header.place_date}”)" if header is not None and header.place_date else ""
        subject = ""
        if top.kind == "header" and not (form.date or form.signer or form.issuer) and doc.subject:
            subject = f", V/v {doc.subject}"
        facts.append(f"{name} được ban hành ngày {doc.date}{place}{subject}.")
        if "header" in rows:
            used.append(rows["header"])
    if ask_signer and signature is not None and signature.name:
        role = " ".join(p for p in (office(signature.position), issuer) if p)
        on_behalf = f" ({office(signature.authority)})" if signature.authority else ""
        facts.append(f"{role} {signature.name} ký{on_behalf}.".strip())
        used.append(rows["signature"])
    if not facts:  # nothing of what was asked is in the blocks: state what the top block holds
        if top.kind == "signature" and signature is not None:
            facts.append(signature.clean_text().replace("\n", ", ") + ".")
        elif header is not None:
            facts.append(header.clean_text().replace("\n", "; ") + ".")
        else:
            facts.append(_cap(top.text.replace("\n", "; "), MAX_FACT_CHARS))
        used.append(rows.get(top.kind, 0))
    used = list(dict.fromkeys(used))
    line = source_line(doc, [collection.passages[r].section for r in used])
    return Composed(" ".join(facts) + "\n" + line, _full(collection, used))


# ------------------------------------------------------------------------------------------------------------- lists
def _list_answer(collection: Collection, doc: DocInfo) -> Composed | None:
    """Who the letter addresses and its points, one line each, from the letter's own structure."""
    doc_rows = _doc_rows(collection, doc.doc_id)
    points = [(r, p) for r, p in doc_rows if p.kind == "point" and "(phần" not in p.section]
    if len(points) < 3:
        return None
    opening = next(((r, p) for r, p in doc_rows if p.kind == "opening"), None)
    lines: list[str] = []
    used: list[int] = []
    if opening is not None:
        match = _REQUEST_RE.search(opening[1].text)
        lines.append(match.group(1).strip() if match else _cap(opening[1].text, LIST_GIST_CHARS))
        used.append(opening[0])
    else:
        addressees = next(((r, p) for r, p in doc_rows if p.kind == "addressees"), None)
        if addressees is not None:
            lines.append(f"{doc.kind or 'Văn bản'} {doc.number} gửi: {'; '.join(parse_addressees(addressees[1].text))}.")
            used.append(addressees[0])
    bullets = {p.section: p for _, p in doc_rows if p.kind == "bullet"}
    for row, point in points:
        used.append(row)
        mark = point.section.rsplit(" ", 1)[-1]
        body = _MARKER_RE.sub("", point.text.split("\n", 1)[0], count=1)
        if body.rstrip().endswith(":"):  # a lead-in: its bullets say what the point asks
            subs = [p for s, p in bullets.items() if s.startswith(point.section + ",")]
            if subs:
                gist = "; ".join(_gist(p.text, 90).rstrip(".… ") for p in subs)
                lines.append(f"{mark}. {_cap(gist, LIST_GIST_CHARS * 2)}")
                continue
        lines.append(f"{mark}. {_gist(body, LIST_GIST_CHARS)}")
    marks = [p.section.rsplit(" ", 1)[-1] for _, p in points]
    sections = ["phần mở đầu"] if opening is not None else []
    sections.append(f"điểm {marks[0]}–{marks[-1]}")
    line = source_line(doc, sections)
    return Composed("\n".join(lines) + "\n" + line, _full(collection, used + [r for r, p in doc_rows if p.kind == "bullet"]))


def _gist(text: str, limit: int) -> str:
    """The first clause of a point, as written, cut at a word boundary."""
    first = re.split(r"(?<=[.;])\s", text.strip(), maxsplit=1)[0].rstrip(";")
    return _cap(first, limit)


# ------------------------------------------------------------------------------------------------- reference cards
def _card_answer(collection: Collection, doc: DocInfo, top_row: int) -> Composed | None:
    """What a document is and what the letter asks in its name, from the project's reference card about it."""
    rows = [(r, p) for r, p in _doc_rows(collection, doc.doc_id) if not p.text.startswith("Bản tóm tắt do hệ thống")]
    if not rows:
        return None
    what_row, what = rows[0]
    facts = [what.sentences[0] if what.sentences else what.text]
    used = [what_row]
    asks = next(((r, p) for r, p in rows[1:] if "608/UBND-NCPC" in p.text), None)
    if asks is not None and asks[0] != what_row:
        facts.append(asks[1].sentences[0] if asks[1].sentences else asks[1].text)
        used.append(asks[0])
    text = _cap(" ".join(facts), MAX_FACT_CHARS + 200)
    return Composed(f"{text}\n{source_line(doc, [])}", _full(collection, used))


# -------------------------------------------------------------------------------------------------------- helpers
def _doc_rows(collection: Collection, doc_id: str) -> list[tuple[int, Passage]]:
    return [(int(r), collection.passages[int(r)]) for r in collection.doc_rows(doc_id)]


def _full(collection: Collection, rows: list[int]) -> str:
    """The passages in full, each under its place and document; signature and header blocks without scan noise."""
    blocks: list[str] = []
    for row in dict.fromkeys(rows):
        passage = collection.passages[row]
        doc = collection.docs[passage.doc_id]
        text = passage.text
        if passage.kind == "signature":
            text = parse_signature(text).clean_text()
        elif passage.kind == "header":
            text = parse_header(text).clean_text()
        place = place_name(passage.section)
        title = f"{place}, {short_name(doc)}" if place else short_name(doc)
        blocks.append(f"{title[:1].upper()}{title[1:]}:\n{text}")
    return "\n\n".join(blocks)
