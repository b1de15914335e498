"""Plain data carried between the parser, the index, the retriever and the callers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocInfo:
    """What is known about one document: enough to cite it ("Công văn số 608/UBND-NCPC ngày 02/4/2019 ...")."""

    doc_id: str
    title: str
    kind: str = ""  # "Công văn", "Quyết định", "Thẻ tham khảo", ... ("" when unknown)
    number: str = ""  # "608/UBND-NCPC"
    date: str = ""  # as the document writes it, e.g. "02/4/2019"
    issuer: str = ""  # "UBND tỉnh Tây Ninh"
    subject: str = ""  # the "V/v" line of a letter
    summary: bool = False  # True for reference cards written by the project (not official text)
    source_name: str = ""  # file name the document came from
    content_hash: str = ""
    shipped: bool = False  # one of the project's own documents
    passages: int = 0
    # Citation details an admin corrected (knowledge/revisions.py), re-applied whenever the file is parsed again.
    edits: dict[str, str] = field(default_factory=dict, hash=False)
    version: int = 1  # 2 after the first replacement by a newer file, and so on
    versions: tuple[dict[str, Any], ...] = field(default=(), hash=False)  # earlier versions, oldest first

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["versions"] = list(self.versions)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocInfo:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["versions"] = tuple(values.get("versions", ()))
        return cls(**values)


@dataclass(frozen=True)
class Passage:
    """One retrievable unit: a point, bullet, article or paragraph, with where it sits in its document."""

    passage_id: str  # "<doc_id>#<n>"
    doc_id: str
    section: str  # Vietnamese label of its place, e.g. "điểm 4, gạch đầu dòng thứ hai"
    text: str  # the passage as the document writes it (lines joined)
    context: str = ""  # headings above it ("Chương I - NHỮNG QUY ĐỊNH CHUNG"), used for indexing only
    kind: str = "body"  # header | addressees | opening | point | bullet | article | paragraph | recipients | signature
    sentences: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentences"] = list(self.sentences)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        values["sentences"] = tuple(values.get("sentences", ()))
        return cls(**values)


@dataclass(frozen=True)
class Source:
    """A passage returned with an answer, best first."""

    doc: str
    title: str
    section: str
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "title": self.title, "section": self.section, "text": self.text,
                "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Answer:
    """The reply to one question: an extractive answer with its citation, or a decline."""

    answered: bool
    answer: str
    sources: list[Source]
    confidence: float = 0.0  # probability, from the abstention model, that the documents answer the question
    full_text: str = ""  # the quoted passage(s) in full, each under its place and document ("Xem nguyên văn")

    def to_dict(self) -> dict[str, Any]:
        """The shape of `danvan ask --json` (DESIGN §2)."""
        return {"answered": self.answered, "answer": self.answer, "sources": [s.to_dict() for s in self.sources]}


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file given to `add_files`."""

    doc_id: str
    path: str
    status: str  # "added" | "updated" | "unchanged"
    passages: int
    title: str = ""
