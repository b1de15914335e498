"""Split a document into passages along its own structure (header, points and bullets, articles, paragraphs).

An administrative document has a recognisable shape: issuer and national motto, "Số: …", "V/v …", place and date,
"Kính gửi", numbered points or articles (Điều), "Nơi nhận", signature. Passages follow that shape, so that an answer
can cite "điểm 4, gạch đầu dòng thứ hai" instead of "chunk 7". Anything without that shape falls back to paragraphs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from knowledge.headerblock import split_header_block
from knowledge.identity import doc_info, header_zone_end, identity_from_header
from knowledge.models import DocInfo, Passage
from knowledge.paragraphs import (
    Paragraph,
    classify,
    is_signature_like,
    split_paragraphs,
    starts_signature,
)
from knowledge.readers import RawDocument
from knowledge.sentences import split_sentences

MAX_WORDS = 320  # a passage longer than this is cut at sentence boundaries (e5 reads 512 sub-word tokens)
CHILD_SPLIT_WORDS = 200  # a point/article longer than this gives each bullet/clause its own passage
SMALL_WORDS = 25  # loose paragraphs shorter than this are merged with their neighbours

_ORDINALS = ("nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười")


def ordinal(n: int) -> str:
    """Vietnamese ordinal used in section labels: 1 → "thứ nhất", 4 → "thứ tư"."""
    return f"thứ {_ORDINALS[n - 1]}" if 1 <= n <= len(_ORDINALS) else f"thứ {n}"


@dataclass
class ParsedDocument:
    info: DocInfo
    passages: list[Passage]


@dataclass
class _Unit:
    """Paragraphs that belong together before they are cut into passages."""

    kind: str  # header | meta | addressees | opening | loose | point | article | recipients | signature | closing
    label: str
    context: str
    items: list[Paragraph] = field(default_factory=list)

    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.items)


def parse_document(doc_id: str, raw: RawDocument, *, source_name: str = "", shipped: bool = False) -> ParsedDocument:
    """Split `raw` into passages and collect its identity; the content hash is filled in by the index."""
    meta_block, _, body = split_header_block(raw.text)
    meta = {**{k: v for k, v in raw.meta.items()}, **meta_block}
    paragraphs = [classify(p) for p in split_paragraphs(body)]
    header_end = header_zone_end(paragraphs)
    header = paragraphs[:header_end]
    identity = identity_from_header(header)
    info = doc_info(doc_id, meta, identity, paragraphs, source_name=source_name, shipped=shipped)

    # The "Key: value" block describes the file (source, completeness); it feeds DocInfo, not the passages.
    units: list[_Unit] = []
    if header:
        units.append(_Unit("header", "phần đầu văn bản", "", list(header)))
    units.extend(_body_units(paragraphs[header_end:], notice_alone=info.summary))
    passages = _emit_passages(doc_id, info, units)
    info = replace(info, passages=len(passages))
    return ParsedDocument(info, passages)


def _body_units(paragraphs: list[Paragraph], *, notice_alone: bool = False) -> list[_Unit]:
    """Group the body's paragraphs: points and articles with their bullets and clauses, lists, loose paragraphs.

    `notice_alone`: a reference card opens with a one-line notice that it is a summary; the retriever hides that
    passage (retrieval.card_notices), so it must not swallow the card's first paragraph of content."""
    units: list[_Unit] = []
    chapter = ""  # "Chương I"
    chapter_title = ""
    section = ""  # "mục I"
    heading = ""  # last capitalised heading, as indexing context
    current: _Unit | None = None
    seen_points = False
    seen_structure = False
    after_recipients = False
    in_signature = False

    def context() -> str:
        parts = [f"{chapter}. {chapter_title}".strip(". ") if chapter else "", heading]
        return " - ".join(p for p in parts if p)

    def prefix() -> str:
        parts = [chapter, section]
        return ", ".join(p for p in parts if p)

    def loose_label(par: Paragraph) -> str:
        if par.body.startswith("Căn cứ"):
            return "phần căn cứ"
        if prefix():
            return prefix()
        return "đoạn văn" if seen_structure else "phần mở đầu"

    def start(kind: str, label: str, par: Paragraph) -> _Unit:
        nonlocal seen_structure
        unit = _Unit(kind, label, context(), [par])
        units.append(unit)
        seen_structure = seen_structure or kind in ("point", "article", "recipients", "signature")
        return unit

    i = 0
    while i < len(paragraphs):
        par = paragraphs[i]
        kind = par.kind
        if in_signature:
            if is_signature_like(par.text) or (after_recipients and len(par.text.split()) <= 3):
                assert current is not None
                current.items.append(par)
                i += 1
                continue
            in_signature = False
            after_recipients = False
            current = None
        if kind in ("heading", "para") and starts_signature(par.text):
            current = start("signature", "chữ ký", par)
            in_signature = True
            i += 1
            continue
        if kind == "chapter":
            chapter, section, heading, chapter_title = par.mark, "", "", par.body
            if not chapter_title and i + 1 < len(paragraphs) and paragraphs[i + 1].kind == "heading":
                chapter_title = paragraphs[i + 1].text
                i += 1
            current = None
        elif kind == "roman":
            section, heading = f"mục {par.mark}", par.body
            current = None
        elif kind == "heading" and after_recipients and current is not None and current.kind == "recipients":
            current = start("signature", "chữ ký", par)  # whatever follows "Nơi nhận" in a letter is its signature
            in_signature = True
        elif kind == "heading":
            prev_kind = paragraphs[i - 1].kind if i else ""
            heading = f"{heading} {par.text}" if prev_kind == "heading" and current is None else par.text
            nxt = paragraphs[i + 1] if i + 1 < len(paragraphs) else None
            if nxt is not None and nxt.kind in ("para", "bullet"):
                current = start("loose", loose_label(par), Paragraph("heading", heading, "", heading))
            else:
                current = None
        elif kind == "article":
            label = f"{prefix()}, Điều {par.mark}".lstrip(", ")
            current = start("article", label, par)
        elif kind == "numbered" and (current is None or current.kind != "article"):
            label = f"{prefix()}, điểm {par.mark}".lstrip(", ")
            current = start("point", label, par)
            seen_points = True
        elif kind == "addressees":
            current = start("addressees", "Kính gửi", par)
        elif kind == "recipients":
            current = start("recipients", "Nơi nhận", par)
            after_recipients = True
        elif kind in ("numbered", "lettered", "bullet"):
            if current is None or current.kind in ("signature",):
                current = start("loose", loose_label(par), par)
            else:
                current.items.append(par)
        else:  # para
            if after_recipients and current is not None and current.kind == "recipients":
                current = start("signature", "chữ ký", par)
                in_signature = True
            elif (current is not None and current.kind == "addressees" and len(current.items) == 1
                  and not current.items[0].body):
                current.items.append(par)  # "Kính gửi:" followed by a single addressee line
            elif (current is not None and current.kind in ("point", "article")
                  and not _is_closing(par, seen_points)) or (
                    current is not None and current.kind == "loose" and current.words() < SMALL_WORDS
                    and not (notice_alone and current is units[0])):
                current.items.append(par)
            else:
                closing = seen_points and _is_closing(par, seen_points)
                current = start("closing" if closing else "loose", "phần kết" if closing else loose_label(par), par)
        i += 1
    return units


def _is_closing(par: Paragraph, seen_points: bool) -> bool:
    """The closing sentence of a letter ("Yêu cầu các sở ... thực hiện tốt nội dung Công văn này./.")."""
    text = par.text
    return seen_points and (
        text.rstrip().endswith("./.")
        or text.startswith(("Yêu cầu các", "Đề nghị các", "Trên đây", "Trong quá trình thực hiện"))
    )


def _emit_passages(doc_id: str, info: DocInfo, units: list[_Unit]) -> list[Passage]:
    passages: list[Passage] = []
    label_counts: dict[str, int] = {}
    for unit in units:
        label_counts[unit.label] = label_counts.get(unit.label, 0) + 1
    label_seen: dict[str, int] = {}

    def add(kind: str, section: str, text: str, context: str) -> None:
        for piece_no, piece in enumerate(_cut_long(text), start=1):
            label = section if piece_no == 1 and len(_cut_long(text)) == 1 else f"{section} (phần {piece_no})"
            n = len(passages)
            passages.append(
                Passage(
                    passage_id=f"{doc_id}#{n}", doc_id=doc_id, section=label.strip() or "đoạn văn", text=piece,
                    context=context, kind=kind, sentences=tuple(split_sentences(piece)),
                )
            )

    for unit in units:
        label = unit.label or "đoạn văn"
        if label_counts[unit.label] > 1 and unit.kind in ("loose", "opening"):
            label_seen[unit.label] = label_seen.get(unit.label, 0) + 1
            label = f"{label}, đoạn {label_seen[unit.label]}".lstrip(", ")
        kind = "opening" if unit.label == "phần mở đầu" else unit.kind
        children = [p for p in unit.items[1:] if p.kind in ("bullet", "numbered", "lettered")]
        if unit.kind in ("point", "article") and children and unit.words() > CHILD_SPLIT_WORDS:
            _emit_children(unit, label, add)
            continue
        add(kind, label, _join(unit.items, strip_single_bullet=False), unit.context)
    return passages


def _emit_children(unit: _Unit, label: str, add) -> None:  # noqa: ANN001 - the local `add` closure
    """A long point or article: the lead-in and each bullet / clause become passages of their own."""
    lead: list[Paragraph] = [unit.items[0]]
    groups: list[list[Paragraph]] = []
    for par in unit.items[1:]:
        if par.kind in ("bullet", "numbered", "lettered"):
            groups.append([par])
        elif groups:
            groups[-1].append(par)
        else:
            lead.append(par)
    lead_text = _join(lead, strip_single_bullet=False)
    add(unit.kind, label, lead_text, unit.context)
    bullet_no = 0
    for group in groups:
        first = group[0]
        if first.kind == "bullet":
            bullet_no += 1
            section = f"{label}, gạch đầu dòng {ordinal(bullet_no)}"
        elif unit.kind == "article":
            section = f"{label}, khoản {first.mark}" if first.kind == "numbered" else f"{label}, điểm {first.mark}"
        else:
            section = f"{label}, ý {first.mark}"
        context = " - ".join(p for p in (unit.context, lead_text) if p)
        add("bullet" if first.kind == "bullet" else "clause", section, _join(group, strip_single_bullet=True), context)


def _join(items: list[Paragraph], *, strip_single_bullet: bool) -> str:
    texts = [p.text for p in items]
    if strip_single_bullet and items and items[0].kind == "bullet":
        texts[0] = items[0].body
    return "\n".join(texts)


def _cut_long(text: str) -> list[str]:
    """Cut a passage over MAX_WORDS at sentence boundaries into roughly equal pieces."""
    words = len(text.split())
    if words <= MAX_WORDS:
        return [text]
    sentences = split_sentences(text)
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    target = words / -(-words // MAX_WORDS)
    for sentence in sentences:
        n = len(sentence.split())
        if current and count + n > target:
            pieces.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
    if current:
        pieces.append(" ".join(current))
    out: list[str] = []
    for piece in pieces:  # a single sentence longer than the limit is cut by words
        tokens = piece.split()
        out.extend(" ".join(tokens[k:k + MAX_WORDS]) for k in range(0, len(tokens), MAX_WORDS))
    return out
