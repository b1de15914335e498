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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.answertype import AMOUNT, PERSON, AnswerTypes
from knowledge.blocks import office, parse_addressees, parse_header, parse_signature
from knowledge.citation import place_name, short_issuer, short_name, source_line
from knowledge.collection import Collection
from knowledge.duties import NamedAgency, covering_line, named_agency, names_document
from knowledge.models import DocInfo, Passage
from knowledge.paragraphs import is_caps, split_glued_heading
from knowledge.questionform import (
    Form,
    has_cue,
    load_cues,
    load_other_documents,
    load_quote_names,
    load_reference_words,
    question_form,
)
from knowledge.quoting import NamedQuote, clean_quote, named_quotes
from knowledge.terms import STOPWORDS_FOLDED, content_syllables
from knowledge.tuning import AnswerTuning
from nlp.text import folded_syllables

MAX_FACT_CHARS = 360  # the fact part of a reply; the full passage is behind "Xem nguyên văn"
CANDIDATE_PASSAGES = 3  # passages whose sentences may be quoted (the top 3, which the sources list shows first)
CLAUSE_SPLIT_WORDS = 30  # sentences longer than this are offered clause by clause (at ";")
LIST_GIST_CHARS = 110
BLOCK_KINDS = ("header", "signature", "addressees", "recipients")
LIST_ANCHORS = ("opening", "closing", "header", "addressees", "signature", "recipients")
# Words a question about the letter's points may hold beyond its cue, the agency and pointers at the letter
# ("nội dung chính", "sở ngành và huyện"): one; a second asks about something the structure does not answer.
STRUCTURE_SPARE_WORDS = 1
_MARKER_RE = re.compile(r"^(?:[-–•+]\s+|\d{1,3}[.)]\s+|[a-zđ]\)\s+)")
_POINT_LINE_RE = re.compile(r"^\d{1,3}\. ")
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
    collection: Collection, question: str, rows: list[int], query_vector: np.ndarray, weights: AnswerTuning,
    expansions: Sequence[str] = (),
) -> Composed:
    """The reply for `question` from the ranked passages `rows` (best first); `weights` from tuning.yml."""
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
    return _quote_answer(collection, question, rows, query_vector, weights, expansions)


def structural_answer(collection: Collection, question: str, rows: list[int]) -> Composed | None:
    """The reply when a question asks for a part of a named letter's structure, however loosely it is worded.

    "cv 608 do pho chu tich nao ky", "cv 608 có mấy nội dung chính", "Sở Y tế phải làm gì theo công văn 608?": the
    letter is named by its number and what is asked is a field of its formal blocks (date of issue, signer, issuer,
    subject, recipients), its points, or the points asked of an addressee. The structure answers these with
    certainty, so the abstention model — which judges how well passages match a question's words — is not asked
    (knowledge/base.py). Broad cues ("nói gì", "ngày nào" alone) are left to retrieval: "công văn 608 có hiệu lực
    đến ngày nào?" is not a question about its date of issue.
    """
    doc = _named_document(collection, question, rows)
    if doc is None:
        return None
    own_kind = tuple(folded_syllables(doc.kind))
    others = tuple(kind for kind in load_other_documents() if kind != own_kind)
    if has_cue(folded_syllables(question), others):  # "Chỉ thị … mà công văn 608 nhắc tới … của ai?"
        return None
    form = question_form(question)
    ask = AnswerTypes.load().classify(question)
    # "số điện thoại của người ký": a fact no formal block holds; a person (the signer) or a count of points is one
    if ask is not None and ask.kind != PERSON and not (ask.kind == AMOUNT and form.count):
        return None
    agency = named_agency(question)
    if not _only_structure_asked(question, agency, doc):
        return _field_answer(collection, doc, form)
    if agency is not None and form.duties:
        line = covering_line(collection, doc.doc_id, agency.group)
        if line is not None:
            return _duties_answer(collection, doc, agency, line)
    composed = _field_answer(collection, doc, form)
    if composed is not None:
        return composed
    if form.addressed or form.count or form.listing:  # "công văn 608 gồm những nhiệm vụ gì?": its points
        listed = _list_answer(collection, doc)
        if listed is not None and form.count:
            points = sum(1 for ln in listed.text.split("\n") if _POINT_LINE_RE.match(ln))
            listed = Composed(f"{short_name(doc)} nêu {points} nội dung:\n{listed.text}", listed.full_text)
        return listed
    return None


def _field_answer(collection: Collection, doc: DocInfo, form: Form) -> Composed | None:
    """A field of the letter's formal blocks (recipients, closing, date of issue, signer, issuer, subject)."""
    kinds = {p.kind: r for r, p in _doc_rows(collection, doc.doc_id)}
    if form.recipients and "recipients" in kinds:
        return _block_answer(collection, doc, collection.passages[kinds["recipients"]], Form())
    if form.closing and "closing" in kinds:
        row = kinds["closing"]
        line = source_line(doc, [collection.passages[row].section])
        return Composed(f"“{clean_quote(collection.passages[row].text)}”\n{line}", _full(collection, [row]))
    if form.signer or form.issuer or form.subject or (form.date and form.issued):
        anchor = "signature" if form.signer and "signature" in kinds else "header"
        if anchor in kinds:
            return _block_answer(collection, doc, collection.passages[kinds[anchor]], form)
    return None


def _only_structure_asked(question: str, agency: NamedAgency | None, doc: DocInfo) -> bool:
    """True when every word of the question is a cue, the agency, or a pointer at the letter (questionforms.yml)."""
    tokens = folded_syllables(question)
    cues = load_cues()
    covered = [False] * len(tokens)
    phrases = [c for name in ("duties", "addressed", "count", "listing") for c in cues[name]]
    if agency is not None and agency.name:
        phrases.append(tuple(folded_syllables(agency.name)))
    phrases.extend(agency.group.heads if agency is not None else ())
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i:i + n]) == phrase:
                covered[i:i + n] = [True] * n
    number = set(folded_syllables(doc.number))
    reference = load_reference_words()
    rest = [t for t, c in zip(tokens, covered, strict=True) if not c and t not in reference and t not in number]
    return len(rest) <= STRUCTURE_SPARE_WORDS


def _named_document(collection: Collection, question: str, rows: list[int]) -> DocInfo | None:
    """The official document among the top passages that the question names by its number."""
    for row in rows[:CANDIDATE_PASSAGES]:
        doc = collection.docs[collection.passages[row].doc_id]
        if not doc.summary and names_document(question, doc.number):
            return doc
    return None


# ------------------------------------------------------------------------------------------------ quoting sentences
def _quote_answer(
    collection: Collection, question: str, rows: list[int], query_vector: np.ndarray, weights: AnswerTuning,
    expansions: Sequence[str],
) -> Composed:
    """The one or two sentences (or clauses) of the top passages that best match the question."""
    bm25 = collection.bm25_folded
    q_tokens = folded_syllables(" ".join([question, *expansions]))
    q_terms = set(content_syllables(folded_syllables(question), STOPWORDS_FOLDED))
    q_terms |= set(content_syllables(folded_syllables(" ".join(expansions)), STOPWORDS_FOLDED))
    idf = {t: (bm25.idf(t) if t in bm25 else 0.0) for t in q_terms}
    q_mass = sum(idf.values()) or 1.0
    q_pairs = {(a, b) for a, b in zip(q_tokens, q_tokens[1:], strict=False)
               if a not in STOPWORDS_FOLDED or b not in STOPWORDS_FOLDED}
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
                score = float(cosines[i]) + weights.overlap_weight * overlap + weights.bigram_weight * bigram
                score -= weights.rank_penalty * rank
                score -= weights.summary_penalty * collection.docs[passage.doc_id].summary
                units.append(_Unit(piece, rank, row, order, score))
                order += 1
    dated = _dated_mentions(question, units) if question_form(question).date else []
    units = dated or units  # "quyết định 290 ban hành ngày nào": the sentence naming 290 with its date
    ask = AnswerTypes.load().classify(question)
    if ask is not None:  # "mấy giờ?": only a sentence that holds a time of day states the fact asked for
        giving = [u for u in units if AnswerTypes.load().gives(ask, u.text)]
        units = giving or units
    if not units:
        passage = collection.passages[candidates[0]]
        units = [_Unit(_MARKER_RE.sub("", passage.text.split("\n")[0], count=1), 0, candidates[0], 0)]
    best = max(units, key=lambda u: u.score)
    named = _named_quote(units, question) if question_form(question).named else None
    if named is not None:
        unit, quote = named
        passage = collection.passages[unit.row]
        line = source_line(collection.docs[passage.doc_id], [passage.section], headings.get(unit.row, ""))
        return Composed(f"{quote.sentence()}\n{line}", _full(collection, [unit.row]))
    chosen = [best]
    margin = weights.second_unit_margin
    rivals = [u for u in units if u.row == best.row and u is not best and u.score >= best.score - margin]
    if rivals:
        second = max(rivals, key=lambda u: u.score)
        if len(best.text) + len(second.text) <= MAX_FACT_CHARS:
            chosen = sorted([best, second], key=lambda u: u.order)
    fact = _cap(clean_quote(" ".join(u.text for u in chosen)), MAX_FACT_CHARS)
    passage = collection.passages[best.row]
    doc = collection.docs[passage.doc_id]
    line = source_line(doc, [passage.section], headings.get(best.row, ""))
    return Composed(f"“{fact}”\n{line}", _full(collection, [best.row]))


def _dated_mentions(question: str, units: list[_Unit]) -> list[_Unit]:
    """Units that name a document the question names by number together with its date ("290-QĐ/TW, ngày …")."""
    numbers = [t for t in folded_syllables(question) if t.isdigit() and len(t) >= 2]
    found = []
    for unit in units:
        for number in numbers:
            if re.search(rf"(?<!\d){number}\b[^.;“”]{{0,40}}?ngày\s+\d{{1,2}}/\d{{1,2}}/\d{{4}}", unit.text):
                found.append(unit)
                break
    return found


def _named_quote(units: list[_Unit], question: str) -> tuple[_Unit, NamedQuote] | None:
    """The quoted formula the question asks for by name ("phương châm gì?"), from the best unit that quotes one.

    A quote whose name the question uses ("phương châm") wins; otherwise the quote sharing most of the question's
    words ("câu dân biết… đầy đủ là gì?"); a unit's own score breaks ties.
    """
    names = load_quote_names()
    q_tokens = folded_syllables(question)
    q_terms = set(content_syllables(q_tokens, STOPWORDS_FOLDED))
    best: tuple[float, _Unit, NamedQuote] | None = None
    for unit in units:
        for quote in named_quotes(clean_quote(unit.text), names):
            label = tuple(folded_syllables(quote.label))
            asked = bool(label) and any(tuple(q_tokens[i:i + len(label)]) == label for i in range(len(q_tokens)))
            shared = len(q_terms & set(folded_syllables(quote.words))) / max(1, len(q_terms))
            if not asked and shared == 0:
                continue
            rank = (1.0 if asked else 0.0) + shared + 0.1 * unit.score
            if best is None or rank > best[0]:
                best = (rank, unit, quote)
    return (best[1], best[2]) if best is not None else None


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
    """`text` cut to `limit` at a clause boundary when one is near, else at a word, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    comma = cut.rfind(", ")
    if comma >= limit * 0.6:
        return cut[:comma].rstrip(",;: ") + " …"
    return cut.rsplit(" ", 1)[0].rstrip(",;: ") + " …"


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
            names = "; ".join(parse_addressees(addressees[1].text))
            lines.append(f"{doc.kind or 'Văn bản'} {doc.number} gửi: {names}.")
            used.append(addressees[0])
    bullets = {p.section: p for _, p in doc_rows if p.kind == "bullet"}
    for row, point in points:
        used.append(row)
        mark = point.section.rsplit(" ", 1)[-1]
        body = _MARKER_RE.sub("", point.text.split("\n", 1)[0], count=1)
        if body.rstrip().endswith(":"):  # a lead-in: its bullets say what the point asks
            subs = [p for s, p in bullets.items() if s.startswith(point.section + ",")]
            if subs:
                gist = "; ".join(_gist(p.text, LIST_GIST_CHARS // 2).rstrip(". ") for p in subs)
                lines.append(f"{mark}. {gist}")
                continue
        lines.append(f"{mark}. {_gist(body, LIST_GIST_CHARS)}")
    marks = [p.section.rsplit(" ", 1)[-1] for _, p in points]
    sections = ["phần mở đầu"] if opening is not None else []
    sections.append(f"điểm {marks[0]}–{marks[-1]}")
    line = source_line(doc, sections)
    text = clean_quote("\n".join(lines))
    return Composed(text + "\n" + line, _full(collection, used + [r for r, p in doc_rows if p.kind == "bullet"]))


def _duties_answer(collection: Collection, doc: DocInfo, agency: NamedAgency, line: str) -> Composed | None:
    """The addressee line that covers the agency a cadre named, then the letter's points as a list."""
    listed = _list_answer(collection, doc)
    if listed is None:
        return None
    who = f"{agency.name} thuộc" if agency.name else "Cơ quan bạn hỏi thuộc"
    lead = (f"{who} “{line}”, nơi {short_name(doc)} gửi tới (phần Kính gửi), nên các nội dung dưới đây "
            "áp dụng cho cơ quan này.")
    return Composed(f"{lead}\n{listed.text}", listed.full_text)


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
        blocks.append(f"{title[:1].upper()}{title[1:]}:\n{clean_quote(text)}")
    return "\n\n".join(blocks)
