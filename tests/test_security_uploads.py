"""Issue 12 §4: uploads that expand far beyond their size are refused with a clear message, broken Word files are
"unreadable" rather than an unknown error, request bodies are capped before parsing, and no uploaded file stays on
disk after it was handled, refused or its document removed."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from knowledge.errors import IngestError
from knowledge.ingest import MAX_PASSAGES, prepare
from knowledge.readers import MAX_DOCX_XML_BYTES, MAX_TEXT_CHARS, DocumentTooLarge, read_document
from tests.fixtures_console import csrf_of, make_console_env  # noqa: F401 - fixtures


def _docx_bytes(text: str = "Hướng dẫn tiếp nhận phản ánh của người dân về chiếu sáng công cộng.") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rewrite_docx(data: bytes, transform: Any) -> bytes:
    """The same .docx with word/document.xml replaced by transform(old xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "word/document.xml":
                content = transform(content)
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_a_docx_hiding_a_huge_xml_comment_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    comment = b"<!--" + b"A" * (MAX_DOCX_XML_BYTES + 1024) + b"-->"
    data = _rewrite_docx(_docx_bytes(), lambda xml: xml.replace(b"?>", b"?>" + comment, 1))
    assert len(data) < 200_000  # small on disk, huge once inflated
    started = time.monotonic()
    with pytest.raises(DocumentTooLarge) as caught:
        read_document(tmp_path / "bom.docx", data)
    assert caught.value.what == "expanded"
    assert time.monotonic() - started < 5


def test_a_docx_with_broken_xml_is_an_unreadable_file(tmp_path: Path) -> None:
    data = _rewrite_docx(_docx_bytes(), lambda xml: xml[: len(xml) // 2])  # cut in the middle of a tag
    with pytest.raises(IngestError, match="not a valid .docx"):
        read_document(tmp_path / "broken.docx", data)


def test_text_and_passages_per_document_are_capped(tmp_path: Path) -> None:
    long_text = ("Người dân phản ánh đường giao thông nông thôn bị hư hỏng. " * 20_000).encode()
    assert len(long_text) > MAX_TEXT_CHARS
    with pytest.raises(DocumentTooLarge) as caught:
        read_document(tmp_path / "long.txt", long_text)
    assert caught.value.what == "text"

    many = tmp_path / "many.txt"
    many.write_text("\n\n".join(
        f"Điều {i}. Quy định số {i} về tiếp nhận phản ánh tại xã số {i}, được cán bộ ghi nhận và chuyển đến cơ quan "
        "có thẩm quyền xem xét giải quyết đúng hạn." for i in range(MAX_PASSAGES * 2)), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(DocumentTooLarge) as caught:
        prepare(many)
    assert caught.value.what == "passages" and time.monotonic() - started < 10


class StandinKnowledge:
    """The knowledge base's upload surface over the real reader and splitter, without the embedding model (the
    real index is exercised by tests/test_console_documents.py)."""

    def __init__(self) -> None:
        self.docs: dict[str, Any] = {}

    def add_files(self, paths: list[Path]) -> list[Any]:
        from types import SimpleNamespace

        prepared = [prepare(p) for p in paths]
        for doc in prepared:
            self.docs[doc.doc_id] = doc.parsed.info  # what the real index would list
        return [SimpleNamespace(status="added", passages=len(d.parsed.passages), title=d.doc_id) for d in prepared]

    def documents(self) -> list[Any]:
        return list(self.docs.values())

    def remove(self, doc_id: str) -> None:
        self.docs.pop(doc_id)


def _wait_for_job(client: Any, url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        html = client.get(url).text
        if "Hoàn tất" in html:
            return html
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_upload_job_says_why_a_document_is_too_large_and_keeps_no_file(make_console_env) -> None:
    kb = StandinKnowledge()
    env = make_console_env(knowledge_factory=lambda: kb)
    client = env.client()
    page = env.login(client, "admin")
    bomb = _rewrite_docx(_docx_bytes(), lambda xml: xml.replace(
        b"?>", b"?><!--" + b"A" * (MAX_DOCX_XML_BYTES + 1) + b"-->", 1))
    good = "Hướng dẫn tiếp nhận phản ánh chiếu sáng công cộng.\n\nĐèn đường hỏng được sửa trong 48 giờ.".encode()
    response = client.post("/console/documents", data={"csrf_token": csrf_of(page.text)},
                           files=[("files", ("bom.docx", bomb)), ("files", ("chieu-sang.txt", good))])
    html = _wait_for_job(client, str(response.url))
    assert "giải nén ra quá lớn" in html and "Lỗi không xác định" not in html
    assert "chieu-sang" in kb.docs
    uploads = env.config.var_dir / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*")), list(uploads.rglob("*"))

    # A removed document leaves no upload behind either (here: one still waiting in a folder).
    leftover = uploads / "job-x" / "chieu-sang.txt"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(good)
    page = client.get("/console/documents")
    client.post("/console/documents/chieu-sang/remove", data={"csrf_token": csrf_of(page.text), "confirm": "yes"})
    assert "chieu-sang" not in kb.docs and not leftover.exists()


def test_an_oversized_upload_is_refused_before_parsing_and_leaves_nothing(make_console_env) -> None:
    kb = StandinKnowledge()
    env = make_console_env(knowledge_factory=lambda: kb, max_upload_bytes=1024, max_upload_request_bytes=64 * 1024)
    client = env.client()
    page = env.login(client, "admin")
    csrf = csrf_of(page.text)
    # One file over the per-file limit inside an acceptable request: refused, its folder removed.
    response = client.post("/console/documents", data={"csrf_token": csrf},
                           files=[("files", ("a.txt", "Văn bản hướng dẫn. ".encode() * 200))])
    assert "lớn hơn" in response.text
    uploads = env.config.var_dir / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*"))
    # A request body over the request limit: 413 before the form is parsed.
    response = client.post("/console/documents", data={"csrf_token": csrf},
                           files=[("files", ("b.txt", b"x" * (200 * 1024)))])
    assert response.status_code == 413
    assert not kb.docs
