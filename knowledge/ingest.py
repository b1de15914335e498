"""Turn one file into a parsed document with its content hash, without touching the index.

Every file of a batch is prepared (read, decoded, split) before the index changes, so one bad file fails the whole
batch with a clear message and the index stays as it was.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.errors import IngestError
from knowledge.readers import DocumentTooLarge, read_document
from knowledge.splitter import ParsedDocument, parse_document

_ID_RE = re.compile(r"[^0-9A-Za-z._-]+")
# Passages of one operator document: indexing takes ~0.3 s each, and a document with thousands is almost always a
# mistake (a data dump, a generated file) that would keep the index busy for many minutes.
MAX_PASSAGES = 600


@dataclass
class PreparedDocument:
    doc_id: str
    path: Path
    parsed: ParsedDocument
    content_hash: str

    @property
    def source_name(self) -> str:
        """File name of the stored copy: unique per document, keeps the suffix for the reader."""
        return f"{self.doc_id}{self.path.suffix.lower()}"


def doc_id_for(path: Path) -> str:
    """The file stem with anything but letters, digits, '.', '_' and '-' replaced: "QĐ 23.pdf" → "Q-23"."""
    stem = _ID_RE.sub("-", path.stem).strip("-.")
    if not stem:
        raise IngestError(path, "the file name gives no usable document id; rename the file")
    return stem


def prepare(path: Path, *, shipped: bool = False, doc_id: str | None = None) -> PreparedDocument:
    """Read, hash and split one file; raises IngestError on anything unreadable or without passages."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    raw = read_document(path, data)
    doc_id = doc_id or doc_id_for(path)
    content_hash = hashlib.sha256(data).hexdigest()
    parsed = parse_document(doc_id, raw, source_name=f"{doc_id}{path.suffix.lower()}", shipped=shipped)
    if not parsed.passages:
        raise IngestError(path, "no text passages could be extracted")
    if not shipped and len(parsed.passages) > MAX_PASSAGES:
        raise DocumentTooLarge(path, "passages", len(parsed.passages), MAX_PASSAGES)
    parsed.info = replace(parsed.info, content_hash=content_hash)
    return PreparedDocument(doc_id, path, parsed, content_hash)
