"""The shipped letter is parsed into its own structure: header facts, 8 points, 3 bullets in point 4, and the rest."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.citation import cite
from knowledge.readers import read_document
from knowledge.splitter import parse_document

REPO_ROOT = Path(__file__).resolve().parents[1]
LETTER = REPO_ROOT / "knowledge" / "documents" / "cong-van-608-UBND-NCPC-2019.txt"
SEED = REPO_ROOT.parent / "shared" / "seed" / "cong-van-608-UBND-NCPC-2019.txt"


@pytest.fixture(scope="module")
def letter():
    return parse_document("cong-van-608", read_document(LETTER), shipped=True)


def test_shipped_letter_is_the_seed_verbatim() -> None:
    if not SEED.is_file():
        pytest.skip(f"seed letter not found at {SEED}")
    assert LETTER.read_bytes() == SEED.read_bytes()


def test_header_facts(letter) -> None:
    info = letter.info
    assert info.number == "608/UBND-NCPC"
    assert info.date == "02/4/2019"
    assert info.issuer == "UBND tỉnh Tây Ninh"
    assert info.kind == "Công văn"
    assert info.subject.startswith("triển khai thực hiện Kết luận số 43-KL/TW, ngày 07/01/2019 của Ban Bí thư")
    assert "608/UBND-NCPC" in info.title


def test_eight_points_in_order(letter) -> None:
    points = [p for p in letter.passages if p.kind == "point"]
    assert [p.section for p in points] == [f"điểm {n}" for n in range(1, 9)]
    assert points[5].text.startswith("6. Đẩy mạnh các phong trào thi đua yêu nước")
    assert points[7].text.endswith("kết luận của Đảng về công tác dân vận.")


def test_point_four_has_three_bullets_as_passages(letter) -> None:
    bullets = [p for p in letter.passages if p.kind == "bullet"]
    assert [b.section for b in bullets] == [
        "điểm 4, gạch đầu dòng thứ nhất",
        "điểm 4, gạch đầu dòng thứ hai",
        "điểm 4, gạch đầu dòng thứ ba",
    ]
    assert bullets[0].text.startswith("Nâng cao chất lượng, phát huy vai trò")
    assert "lực lượng vũ trang trực tiếp giao tiếp với nhân dân" in bullets[1].text
    assert bullets[2].text.startswith("Thực hiện tốt Quy chế dân chủ ở cơ sở.")
    assert "Tập trung làm tốt công tác dân vận" in bullets[0].context  # the lead-in of point 4 is kept as context


def test_other_parts_are_their_own_passages(letter) -> None:
    by_kind = {p.kind: p for p in letter.passages}
    assert "Tây Ninh, ngày 02 tháng 4 năm 2019" in by_kind["header"].text
    assert "Số: 608 /UBND-NCPC" in by_kind["header"].text
    assert "Các sở, ban, ngành tỉnh" in by_kind["addressees"].text
    assert by_kind["opening"].text.startswith("Thực hiện Kết luận số 43-KL/TW ngày 07/01/2019")
    assert by_kind["closing"].text.endswith("thực hiện tốt nội dung Công văn này./.")
    assert "Bộ Nội vụ" in by_kind["recipients"].text
    assert "Nguyễn Thanh Ngọc" in by_kind["signature"].text
    assert "**" not in "".join(p.text for p in letter.passages)  # markdown bold of the source is not quoted


def test_passages_keep_the_letter_text_verbatim(letter) -> None:
    """Quotes must be faithful, typos of the original included ("phuong châm", "những nhiễu dân")."""
    body = " ".join(p.text for p in letter.passages)
    assert "phuong châm “Dân biết, dân bàn, dân làm, dân kiểm tra”" in body
    assert "cửa quyền, những nhiễu dân" in body


def test_citation_names_point_number_date_and_issuer(letter) -> None:
    point6 = next(p for p in letter.passages if p.section == "điểm 6")
    assert cite(letter.info, point6.section) == (
        "Theo điểm 6 Công văn số 608/UBND-NCPC ngày 02/4/2019 của UBND tỉnh Tây Ninh")
