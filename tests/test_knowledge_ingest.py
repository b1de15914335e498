"""Ingestion of .txt, .md, .docx and .pdf files, and clear refusals of broken ones that leave the index intact."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.errors import IngestError
from knowledge.ingest import prepare
from tests.fixtures_knowledge import CountingEncoder, make_docx, make_pdf

DECISION = """Tiêu đề: Quy chế đối thoại với Nhân dân ở xã
Số hiệu: 12/QĐ-UBND
Ngày ban hành: 15/3/2024
Cơ quan ban hành: UBND xã Hòa Thành
----------------------------------------
Điều 1. Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân mỗi quý một lần
tại hội trường ấp.
Điều 2. Trách nhiệm thực hiện
1. Văn phòng xã chuẩn bị địa điểm và thông báo trước bảy ngày.
2. Các đoàn thể vận động hội viên tham dự.
Điều 3. Quyết định này có hiệu lực kể từ ngày ký.
"""


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ------------------------------------------------------------------------------------------------ each file type
def test_txt_with_header_block_splits_by_article(tmp_path: Path) -> None:
    doc = prepare(write(tmp_path / "qd-12.txt", DECISION))
    info = doc.parsed.info
    assert (info.number, info.date, info.issuer) == ("12/QĐ-UBND", "15/3/2024", "UBND xã Hòa Thành")
    sections = [p.section for p in doc.parsed.passages]
    assert sections == ["Điều 1", "Điều 2", "Điều 3"]
    # a line break inside a sentence (as in pasted HTML tables) is joined back
    assert doc.parsed.passages[0].text.endswith("mỗi quý một lần tại hội trường ấp.")


def test_md_front_matter_and_headings(tmp_path: Path) -> None:
    text = ("---\ntitle: Hướng dẫn tiếp công dân\nissuer: UBND xã An Tịnh\ndate: 01/02/2024\n---\n"
            "# Hướng dẫn tiếp công dân\n\n**Cán bộ** tiếp công dân phải lắng nghe, ghi chép đầy đủ ý kiến.\n\n"
            "Mỗi phản ánh được trả lời trong thời hạn [quy định](https://example.org).\n")
    doc = prepare(write(tmp_path / "huong-dan.md", text))
    assert doc.parsed.info.title == "Hướng dẫn tiếp công dân"
    assert doc.parsed.info.issuer == "UBND xã An Tịnh"
    body = " ".join(p.text for p in doc.parsed.passages)
    assert "Cán bộ tiếp công dân phải lắng nghe" in body
    assert "**" not in body and "https://" not in body


def test_docx_paragraphs_and_bullets(tmp_path: Path) -> None:
    data = make_docx(
        ["Ủy ban nhân dân xã yêu cầu các ấp thực hiện tốt các nội dung sau:"],
        bullets=["Tổ chức đối thoại với Nhân dân mỗi quý.", "Công khai các khoản đóng góp của Nhân dân."],
        title="Kế hoạch dân vận năm 2024",
    )
    doc = prepare(write(tmp_path / "ke-hoach.docx", data))
    body = "\n".join(p.text for p in doc.parsed.passages)
    assert "Kế hoạch dân vận năm 2024" in body
    assert "- Tổ chức đối thoại với Nhân dân mỗi quý." in body  # list paragraphs keep their bullet
    assert "- Công khai các khoản đóng góp của Nhân dân." in body


def test_pdf_text_layer(tmp_path: Path) -> None:
    data = make_pdf(["Điều 1. Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân", "mỗi quý một lần.",
                     "Điều 2. Hòa giải viên ở cơ sở được tập huấn hằng năm."])
    doc = prepare(write(tmp_path / "quy-che.pdf", data))
    assert [p.section for p in doc.parsed.passages] == ["Điều 1", "Điều 2"]
    assert doc.parsed.passages[0].text == "Điều 1. Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân mỗi quý một lần."


# ------------------------------------------------------------------------------------------------ broken files
@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("latin1.txt", "Công văn số 608 về dân vận".encode("cp1258", errors="replace") + b"\xff\xfe\x80", "UTF-8"),
        ("corrupt.docx", b"PK\x03\x04 this is not a real archive", "not a valid .docx"),
        ("renamed.pdf", b"%PDF-1.4\n this is not a pdf at all", "PDF"),
        ("scan.pdf", make_pdf([]), "no text layer"),
        ("locked.pdf", make_pdf(["Điều 1. Nội dung mật."], password="secret"), "encrypted"),
        ("slides.pptx", b"whatever", "unsupported file type"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = write(tmp_path / name, data)
    with pytest.raises(IngestError) as info:
        prepare(path)
    assert reason in str(info.value)
    assert name in str(info.value)  # the message says which file


# ------------------------------------------------------------------------------------------- index behaviour
@pytest.mark.slow
def test_bad_file_in_a_batch_leaves_the_index_intact(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    before = (tmp_path / "index" / "manifest.json").read_bytes()
    good = write(tmp_path / "qd-12.txt", DECISION)
    bad = write(tmp_path / "locked.pdf", make_pdf(["Điều 1."], password="secret"))
    with pytest.raises(IngestError, match="encrypted"):
        kb.add_files([good, bad])
    assert (tmp_path / "index" / "manifest.json").read_bytes() == before
    assert [d.doc_id for d in kb.documents()] == ["cong-van-608-UBND-NCPC-2019"]
    reopened = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    assert [d.doc_id for d in reopened.documents()] == ["cong-van-608-UBND-NCPC-2019"]


@pytest.mark.slow
def test_unchanged_documents_are_not_embedded_again(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    counting = CountingEncoder(encoder)
    kb = KnowledgeBase.open(tmp_path / "index", counting, documents_dir=letter_only_dir)
    built = counting.passages_encoded
    assert built > 17  # the letter's passages and sentences

    decision = write(tmp_path / "qd-12.txt", DECISION)
    counting.passages_encoded = 0
    [report] = kb.add_files([decision])
    assert report.status == "added"
    added = counting.passages_encoded
    assert 0 < added < built  # only the new document was embedded

    counting.passages_encoded = 0
    [report] = kb.add_files([decision])
    assert report.status == "unchanged" and counting.passages_encoded == 0

    KnowledgeBase.open(tmp_path / "index", counting, documents_dir=letter_only_dir)  # reopening embeds nothing
    assert counting.passages_encoded == 0

    write(decision, DECISION.replace("mỗi quý một lần", "mỗi tháng một lần"))
    [report] = kb.add_files([decision])
    assert report.status == "updated" and counting.passages_encoded == added
    assert "mỗi tháng một lần" in kb.ask("xã đối thoại với dân bao lâu một lần?").sources[0].text


@pytest.mark.slow
def test_index_folder_holds_manifest_id_map_and_sources(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    kb.add_files([write(tmp_path / "qd-12.txt", DECISION)])
    index = tmp_path / "index"
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == encoder.name
    assert len(manifest["corpus_hash"]) == 64
    assert manifest["dense"]["kind"] == "flat"
    assert {d["doc_id"] for d in manifest["documents"]} == {"cong-van-608-UBND-NCPC-2019", "qd-12"}
    ids = json.loads((index / "ids.json").read_text(encoding="utf-8"))
    passages = json.loads((index / "passages.json").read_text(encoding="utf-8"))
    assert ids["passages"] == [p["passage_id"] for p in passages]
    assert (index / "faiss.index").is_file() and (index / "sources" / "qd-12.txt").is_file()

    kb.remove("qd-12")
    assert not (index / "sources" / "qd-12.txt").exists()
    assert [d.doc_id for d in kb.documents()] == ["cong-van-608-UBND-NCPC-2019"]


@pytest.mark.slow
def test_index_built_with_another_model_is_rebuilt(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    KnowledgeBase.open(tmp_path / "index", CountingEncoder(encoder, name="another-model"),
                       documents_dir=letter_only_dir)
    counting = CountingEncoder(encoder)
    kb = KnowledgeBase.open(tmp_path / "index", counting, documents_dir=letter_only_dir)
    assert counting.passages_encoded > 0
    assert kb.manifest().model == encoder.name


@pytest.mark.slow
def test_approximate_index_reports_recall(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, ann_threshold=5, documents_dir=letter_only_dir)
    manifest = kb.manifest()
    assert manifest.dense_kind == "hnsw"
    assert manifest.dense_recall_at_10 is not None and manifest.dense_recall_at_10 >= 0.9
    assert kb.ask("Công văn 608 do ai ký?").answered


@pytest.mark.slow
def test_a_running_instance_sees_documents_added_by_another_process(
        tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    """The web console uploads while the action server answers: the answering side picks up the new index."""
    from knowledge import KnowledgeBase

    answering = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    uploading = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    uploading.add_files([write(tmp_path / "qd-12.txt", DECISION)])
    answer = answering.ask("Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân bao lâu một lần?")
    assert answer.sources[0].doc == "qd-12"
