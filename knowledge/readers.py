"""Turn a file (.txt, .md, .docx, .pdf) into plain text with one paragraph per blank-line-separated block.

Each reader uses the format's real parser (python-docx, pypdf) and fails with an IngestError that says, in plain
English, what is wrong with the file, so that an operator uploading a scanned or protected document learns why.

A small file can expand to far more than it looks (a .docx is a zip of XML: 46 kB became 2 MB of text, another
hid a 200 MB XML comment), and indexing cost grows with the text. So the expanded XML of a .docx, the pages of a
PDF and the text of any file are capped before the expensive step, with a DocumentTooLarge naming the limit.
"""
from __future__ import annotations

import logging
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.errors import IngestError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
_MIN_LETTERS = 20  # fewer letters than this is not a document worth indexing
# Limits of one document (a long decree is ~300 kB of text and ~300 passages; indexing costs ~0.3 s per passage).
MAX_TEXT_CHARS = 1_000_000
MAX_DOCX_XML_BYTES = 25 * 1024 * 1024
MAX_PDF_PAGES = 1000


class DocumentTooLarge(IngestError):
    """The document is over one of the limits above; `what` is "text", "expanded", "pages" or "passages"."""

    def __init__(self, path: object, what: str, size: int, limit: int) -> None:
        super().__init__(path, f"the document is too large ({what}: {size:,} over the limit of {limit:,}); "
                               "split it into smaller files")
        self.what = what
        self.size = size
        self.limit = limit


@dataclass
class RawDocument:
    """Plain text of a file plus metadata its format carries (front matter, core properties)."""

    text: str
    meta: dict[str, str] = field(default_factory=dict)


def read_document(path: Path, data: bytes | None = None) -> RawDocument:
    """Read `path` (or the given bytes, named by `path`) with the reader for its suffix."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise IngestError(
            path, f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IngestError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise IngestError(path, "the file is empty")
    raw = reader(path, data)
    if len(raw.text) > MAX_TEXT_CHARS:
        raise DocumentTooLarge(path, "text", len(raw.text), MAX_TEXT_CHARS)
    raw.text = unicodedata.normalize("NFC", raw.text).replace("\r\n", "\n").replace("\r", "\n")
    letters = sum(ch.isalpha() for ch in raw.text)
    if letters < _MIN_LETTERS:
        raise IngestError(path, "the file contains no readable text")
    return raw


def _decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused rather than guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(path, "the file is not valid UTF-16 text") from exc
    if b"\x00" in data[:4096]:
        raise IngestError(path, "the file is binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"the file is not UTF-8 text (undecodable byte at offset {exc.start}); save it as UTF-8"
        ) from exc
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise IngestError(path, "the file is binary, not text")
    return text


def _read_txt(path: Path, data: bytes) -> RawDocument:
    return RawDocument(_decode_text(path, data))


_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__)(.+?)\1", re.S)


def _read_md(path: Path, data: bytes) -> RawDocument:
    """Markdown: front matter becomes metadata; headings become their own paragraphs; emphasis and links are dropped."""
    text = _decode_text(path, data).replace("\r\n", "\n")
    meta: dict[str, str] = {}
    match = _FRONT_MATTER_RE.match(text)
    if match:
        import yaml

        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise IngestError(path, f"the front matter is not valid YAML ({exc.__class__.__name__})") from exc
        if isinstance(loaded, dict):
            meta = {str(k): str(v) for k, v in loaded.items() if v is not None}
        text = text[match.end():]
    text = _MD_HEADING_RE.sub(lambda m: f"\n{m.group(1)}\n", text)
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _MD_EMPHASIS_RE.sub(r"\2", text)
    return RawDocument(text, meta)


def _read_docx(path: Path, data: bytes) -> RawDocument:
    """Word: paragraphs and table cells in order; list paragraphs get a "- " so the splitter sees the bullets."""
    import io

    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    unreadable = "the file is not a valid .docx document (corrupt or another format renamed)"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Declared sizes, checked before anything is inflated; the parser below would expand them all.
            xml_bytes = sum(info.file_size for info in archive.infolist()
                            if info.filename.lower().endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise IngestError(path, unreadable) from exc
    if xml_bytes > MAX_DOCX_XML_BYTES:
        raise DocumentTooLarge(path, "expanded", xml_bytes, MAX_DOCX_XML_BYTES)
    try:
        return _docx_text(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, PackageNotFoundError, etree.LxmlError, zlib.error, OSError,
            EOFError, NotImplementedError, KeyError, ValueError, AttributeError, TypeError) as exc:
        raise IngestError(path, unreadable) from exc


def _docx_text(stream) -> RawDocument:  # noqa: ANN001 - a binary file object
    import docx

    document = docx.Document(stream)
    blocks: list[str] = []
    list_styled = {p._p for p in document.paragraphs if p.style is not None and (p.style.name or "").startswith("List")}
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_docx_paragraph_text(child, child in list_styled))
        elif tag == "tbl":
            for row in child.iter(f"{{{_W_NS}}}tr"):
                cells = [_docx_cell_text(cell) for cell in row.iter(f"{{{_W_NS}}}tc")]
                blocks.append("\n\n".join(c for c in cells if c))
    meta: dict[str, str] = {}
    props = document.core_properties
    if props.title:
        meta["title"] = props.title
    return RawDocument("\n\n".join(b for b in blocks if b.strip()), meta)


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_paragraph_text(p, list_style: bool) -> str:  # noqa: ANN001 - lxml element
    text = _runs_text(p)
    if not text.strip():
        return ""
    is_list = list_style or p.find(f"{{{_W_NS}}}pPr/{{{_W_NS}}}numPr") is not None
    if is_list and not re.match(r"^\s*([-–•+]|\d+[.)]|[a-zđ]\))\s", text):
        text = "- " + text.strip()
    return text


def _runs_text(p) -> str:  # noqa: ANN001 - lxml element
    """Text of a paragraph element, tabs and line breaks kept as whitespace."""
    parts: list[str] = []
    for node in p.iter(f"{{{_W_NS}}}t", f"{{{_W_NS}}}tab", f"{{{_W_NS}}}br"):
        name = node.tag.rsplit("}", 1)[-1]
        if name == "t":
            parts.append(node.text or "")
        elif name == "tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _docx_cell_text(cell) -> str:  # noqa: ANN001 - lxml element
    return "\n".join(t for t in (_runs_text(p) for p in cell.iter(f"{{{_W_NS}}}p")) if t.strip())


def _read_pdf(path: Path, data: bytes) -> RawDocument:
    """PDF: the text layer of each page. Protected PDFs and scans without a text layer are refused."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentTooLarge(path, "pages", len(reader.pages), MAX_PDF_PAGES)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                raise IngestError(path, "the PDF is encrypted; upload an unprotected copy") from exc
            if not opened:
                raise IngestError(path, "the PDF is encrypted (password protected); upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise IngestError(path, "the PDF is encrypted; upload an unprotected copy") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IngestError(path, f"the file is not a readable PDF ({exc.__class__.__name__})") from exc
    text = "\n\n".join(pages)
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        raise IngestError(path, "the PDF has no text layer (a scan?); upload a text PDF, .docx or .txt")
    meta: dict[str, str] = {}
    try:
        if reader.metadata and reader.metadata.title:
            meta["title"] = str(reader.metadata.title)
    except (PdfReadError, ValueError, KeyError, TypeError):
        pass
    return RawDocument(text, meta)


_READERS: dict[str, Callable[[Path, bytes], RawDocument]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
