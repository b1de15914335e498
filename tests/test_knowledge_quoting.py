"""What the assistant quotes: scanning errors corrected, formulas found by their name, agencies read from questions."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.duties import named_agency, names_document
from knowledge.questionform import load_quote_names
from knowledge.quoting import clean_quote, load_fixes, named_quotes

SHIPPED = Path(__file__).resolve().parents[1] / "knowledge" / "documents"


def test_every_scan_fix_still_matches_a_shipped_document() -> None:
    texts = [p.read_text(encoding="utf-8") for p in SHIPPED.iterdir() if p.is_file()]
    for scanned, printed in load_fixes():
        assert any(scanned in t for t in texts), f"stale fix {scanned!r}: no shipped document holds it"
        assert scanned != printed


def test_a_lost_closing_quote_and_a_misspelt_word_are_corrected_in_quotes() -> None:
    scanned = ("cơ chế “Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ và phuong châm "
               "“Dân biết, dân bàn, dân làm, dân kiểm tra”.")
    assert clean_quote(scanned) == ("cơ chế “Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ” và phương châm "
                                    "“Dân biết, dân bàn, dân làm, dân kiểm tra”.")


def test_quoted_formulas_carry_the_name_the_text_gives_them() -> None:
    text = clean_quote("cụ thể hóa cơ chế “Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ và phuong châm "
                       "“Dân biết, dân bàn, dân làm, dân kiểm tra”.")
    quotes = named_quotes(text, load_quote_names())
    assert [(q.label, q.words) for q in quotes] == [
        ("cơ chế", "Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ"),
        ("phương châm", "Dân biết, dân bàn, dân làm, dân kiểm tra"),
    ]
    assert quotes[1].sentence() == "Phương châm: “Dân biết, dân bàn, dân làm, dân kiểm tra”."


@pytest.mark.parametrize(("question", "line", "name"), [
    ("Sở Y tế phải làm gì theo công văn 608?", "sở, ban, ngành tỉnh", "Sở Y tế"),
    ("UBND huyện Gò Dầu phải làm gì theo công văn 608?", "UBND các huyện, thành phố", "UBND huyện Gò Dầu"),
    ("so giao duc phai lam gi theo cong van 608", "sở, ban, ngành tỉnh", ""),
    ("các huyện có nhiệm vụ gì theo CV 608", "UBND các huyện, thành phố", ""),
])
def test_an_agency_named_in_a_question_is_placed_among_the_addressees(question: str, line: str, name: str) -> None:
    from nlp.text import folded_syllables

    agency = named_agency(question)
    assert agency is not None and agency.group.line == tuple(folded_syllables(line)) and agency.name == name


@pytest.mark.parametrize("question", ["Công văn số 608 yêu cầu gì?", "cong van so 608 yeu cau gi",
                                      "cán bộ xã phải làm gì khi dân tới hỏi", "số hiệu của công văn là gì"])
def test_no_agency_is_read_where_none_is_named(question: str) -> None:
    assert named_agency(question) is None


def test_a_question_names_a_document_by_its_number() -> None:
    assert names_document("Sở Y tế phải làm gì theo công văn 608?", "608/UBND-NCPC")
    assert not names_document("Sở Y tế phải làm gì?", "608/UBND-NCPC")
