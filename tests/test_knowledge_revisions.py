"""An admin corrects how an uploaded document is cited, and replaces it by a newer version that keeps its history."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from knowledge.models import DocInfo
from knowledge.revisions import EditableInfo, MetadataInvalid, edited, next_version
from tests.fixtures_knowledge import CountingEncoder

# A notice as communes post them: no number, date or issuer the parser can find.
NOTICE = """Lịch tiếp công dân tháng 5

Chủ tịch Ủy ban nhân dân xã tiếp công dân định kỳ vào sáng thứ Năm hằng tuần tại phòng tiếp dân của xã.
Người đến được tiếp cần mang theo giấy tờ tùy thân và các tài liệu liên quan đến nội dung phản ánh.
"""
NOTICE_JUNE = NOTICE.replace("tháng 5", "tháng 6").replace("sáng thứ Năm", "chiều thứ Ba")
DECISION = """Tiêu đề: Quy chế đối thoại với Nhân dân ở xã
Số hiệu: 12/QĐ-UBND
Ngày ban hành: 15/3/2024
Cơ quan ban hành: UBND xã Hòa Thành
----------------------------------------
Điều 1. Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân mỗi quý một lần tại hội trường ấp.
Điều 2. Văn phòng xã chuẩn bị địa điểm và thông báo trước bảy ngày.
"""
DECISION_NEW = (DECISION.replace("12/QĐ-UBND", "20/QĐ-UBND").replace("15/3/2024", "02/8/2024")
                .replace("mỗi quý một lần", "mỗi tháng một lần"))
ASK_DAY = "Chủ tịch xã tiếp công dân vào ngày nào?"
DETAILS = EditableInfo(title="Lịch tiếp công dân của xã Hảo Đước", kind="Thông báo", number="15/TB-UBND",
                       date="3/5/2024", issuer="UBND xã Hảo Đước")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- the details alone
def test_details_are_cleaned_to_one_line_and_the_letters_date_style() -> None:
    clean = EditableInfo(title="  Lịch\ntiếp   dân ", number=" 15/TB-UBND ", date="3/5/2024").cleaned()
    assert (clean.title, clean.number, clean.date) == ("Lịch tiếp dân", "15/TB-UBND", "03/5/2024")


@pytest.mark.parametrize(("values", "field", "problem"), [
    ({"title": "x", "date": "31/2/2024"}, "date", "bad_date"),
    ({"title": "x", "date": "2024-05-03"}, "date", "bad_date"),
    ({"title": "   "}, "title", "required"),
    ({"title": "x", "number": "1" * 61}, "number", "too_long"),
])
def test_unusable_details_name_their_field(values: dict[str, str], field: str, problem: str) -> None:
    with pytest.raises(MetadataInvalid) as caught:
        EditableInfo(**values).cleaned()
    assert (caught.value.field, caught.value.problem) == (field, problem)


def test_a_new_version_keeps_the_admins_details_the_file_does_not_state() -> None:
    uploaded = DocInfo("lich", "Lịch tiếp công dân tháng 5", content_hash="a", passages=2)
    corrected = edited(uploaded, DETAILS)
    newer = next_version(corrected, DocInfo("lich", "Lịch tiếp công dân tháng 6", number="16/TB-UBND",
                                            content_hash="b", passages=3), "2024-06-01T01:00:00+00:00")
    assert newer.version == 2 and newer.title == DETAILS.title  # the admin's name for it stays
    assert newer.number == "16/TB-UBND"  # the new file states its own number
    assert (newer.date, newer.issuer) == ("03/5/2024", "UBND xã Hảo Đước")  # not stated by the file: carried
    [old] = newer.versions
    assert (old["version"], old["number"], old["content_hash"], old["passages"]) == (1, "15/TB-UBND", "a", 2)


# ------------------------------------------------------------------------------------------- through the index
@pytest.mark.slow
def test_corrected_details_are_cited_and_survive_a_rebuilt_index(tmp_path: Path, encoder,
                                                                  letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    kb.add_files([write(tmp_path / "lich-tiep-dan.txt", NOTICE)])
    before = kb.ask(ASK_DAY)
    assert before.answered and "15/TB-UBND" not in before.answer

    kb.edit_info("lich-tiep-dan", DETAILS)
    after = kb.ask(ASK_DAY)
    assert "thứ Năm" in after.answer
    assert "Thông báo 15/TB-UBND ngày 03/5/2024" in after.answer  # the source line now names it properly

    # A rebuild re-parses the stored copy (another model here): the admin's details are applied again.
    KnowledgeBase.open(tmp_path / "index", CountingEncoder(encoder, name="another-model"),
                       documents_dir=letter_only_dir)
    rebuilt = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    doc = next(d for d in rebuilt.documents() if d.doc_id == "lich-tiep-dan")
    assert (doc.number, doc.date, doc.title) == ("15/TB-UBND", "03/5/2024", DETAILS.title)
    assert "Thông báo 15/TB-UBND" in rebuilt.ask(ASK_DAY).answer


@pytest.mark.slow
def test_refused_details_leave_the_index_as_it_was(tmp_path: Path, encoder, letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    kb.add_files([write(tmp_path / "lich-tiep-dan.txt", NOTICE)])
    manifest = (tmp_path / "index" / "manifest.json").read_bytes()
    with pytest.raises(MetadataInvalid):
        kb.edit_info("lich-tiep-dan", EditableInfo(title="Lịch", date="31/2/2024"))
    with pytest.raises(KnowledgeError, match="built-in"):
        kb.edit_info("cong-van-608-UBND-NCPC-2019", EditableInfo(title="Công văn khác"))
    with pytest.raises(KnowledgeError, match="built-in"):
        kb.replace_file("cong-van-608-UBND-NCPC-2019", write(tmp_path / "x.txt", NOTICE))
    assert (tmp_path / "index" / "manifest.json").read_bytes() == manifest


@pytest.mark.slow
def test_a_replaced_document_keeps_its_id_and_lists_how_it_was_cited(tmp_path: Path, encoder,
                                                                      letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir)
    kb.add_files([write(tmp_path / "qd-12.txt", DECISION)])
    assert "12/QĐ-UBND" in kb.ask("Xã đối thoại với Nhân dân bao lâu một lần?").answer

    report = kb.replace_file("qd-12", write(tmp_path / "quy-che-sua-doi.txt", DECISION_NEW))
    assert (report.doc_id, report.status) == ("qd-12", "updated")
    answer = kb.ask("Xã đối thoại với Nhân dân bao lâu một lần?")
    assert "mỗi tháng một lần" in answer.answer and "20/QĐ-UBND" in answer.answer
    texts = [p.text for p in kb.collection.passages if p.doc_id == "qd-12"]
    assert texts and not any("mỗi quý" in t for t in texts)  # the old text no longer answers

    doc = next(d for d in kb.documents() if d.doc_id == "qd-12")
    assert doc.version == 2
    assert [(v["version"], v["number"], v["date"]) for v in doc.versions] == [(1, "12/QĐ-UBND", "15/3/2024")]
    stored = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert [d["versions"] for d in stored["documents"] if d["doc_id"] == "qd-12"][0][0]["number"] == "12/QĐ-UBND"
    assert sorted(p.name for p in (tmp_path / "index" / "sources").iterdir()) == ["qd-12.txt"]

    # Re-uploading a file of the same name is a new version too, never a silent overwrite.
    [again] = kb.add_files([write(tmp_path / "qd-12.txt", NOTICE_JUNE)])
    assert again.status == "updated"
    assert next(d for d in kb.documents() if d.doc_id == "qd-12").version == 3
