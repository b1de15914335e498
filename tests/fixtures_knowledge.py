"""Fixtures and file builders for the knowledge tests (listed in conftest's pytest_plugins).

The session knowledge base is built once, in a temporary folder, from the shipped documents plus ../shared/corpus
when it is present (tests that need the corpus skip with a reason otherwise).
"""
from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
LETTER = REPO_ROOT / "knowledge" / "documents" / "cong-van-608-UBND-NCPC-2019.txt"


def make_pdf(lines: Sequence[str], password: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Unicode via a ToUnicode map), optionally encrypted."""

    def hex_string(text: str) -> str:
        return "<" + "".join(f"{ord(ch):04X}" for ch in text) + ">"

    ops = ["BT", "/F1 12 Tf", "16 TL", "50 800 Td", *[f"{hex_string(line)} Tj T*" for line in lines], "ET"]
    content = "\n".join(ops).encode("ascii")
    ranges = "\n".join(f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in range(256))
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
        "/Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def "
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"256 beginbfrange\n{ranges}\nendbfrange endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Helvetica /Encoding /Identity-H /DescendantFonts [6 0 R] "
        b"/ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Helvetica /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /DW 500 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    if password is None:
        return bytes(out)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(out))))
    writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_docx(paragraphs: Sequence[str], *, bullets: Sequence[str] = (), title: str | None = None) -> bytes:
    """A Word document with optional heading, paragraphs and a bulleted list (real list numbering)."""
    import docx

    document = docx.Document()
    if title:
        document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    for text in bullets:
        document.add_paragraph(text, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class CountingEncoder:
    """Wraps the real encoder and counts the passages it embeds (to prove unchanged documents are not re-embedded)."""

    def __init__(self, encoder: object, name: str | None = None) -> None:
        self._encoder = encoder
        self.name = name or encoder.name  # type: ignore[attr-defined]
        self.dim = encoder.dim  # type: ignore[attr-defined]
        self.passages_encoded = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encoder.encode_queries(texts)  # type: ignore[attr-defined]

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_encoded += len(texts)
        return self._encoder.encode_passages(texts)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"../shared/corpus not found beside the checkout ({CORPUS_DIR})")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def letter_only_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A documents folder with only the letter: small, so tests that rebuild indexes stay fast."""
    folder = tmp_path_factory.mktemp("letter-only")
    (folder / LETTER.name).write_bytes(LETTER.read_bytes())
    return folder


@pytest.fixture(scope="session")
def knowledge_base(tmp_path_factory: pytest.TempPathFactory, encoder: object) -> Iterator[object]:
    """The shipped documents plus the corpus (when available), indexed once per session."""
    from knowledge import KnowledgeBase

    index_dir = tmp_path_factory.mktemp("knowledge") / "index"
    kb = KnowledgeBase.open(index_dir, encoder)
    if CORPUS_DIR.is_dir():
        kb.add_files(sorted(CORPUS_DIR.glob("*.txt")))
    yield kb
