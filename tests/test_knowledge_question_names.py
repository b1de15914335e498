"""Names in a question: abbreviated document names are spelled out, provinces are recognised (fast, no model)."""
from __future__ import annotations

import pytest

from knowledge.abbreviations import Abbreviations
from knowledge.answertype import AMOUNT, AnswerTypes
from knowledge.places import Places


@pytest.mark.parametrize(("typed", "read"), [
    ("KL 43 là của BBT khóa mấy vậy", "Kết luận 43 là của Ban Bí thư khóa mấy vậy"),
    ("kl114 ban bí thư ký năm nào z", "Kết luận 114 ban bí thư ký năm nào z"),
    ("nq25 tw ban hanh ngay nao", "nghi quyet 25 trung uong ban hanh ngay nao"),  # stays without diacritics
    ("cv 608 ai ky", "cong van 608 ai ky"),
])
def test_abbreviated_document_names_are_spelled_out(typed: str, read: str) -> None:
    assert Abbreviations.load().expand(typed) == read


@pytest.mark.parametrize("typed", ["ct xã có phải tiếp dân không", "tôi ở kp 3", "mấy anh cv ơi"])
def test_kind_abbreviations_are_left_alone_without_a_number(typed: str) -> None:
    assert Abbreviations.load().expand(typed) == typed


def test_provinces_are_recognised_with_or_without_diacritics_but_not_the_president() -> None:
    places = Places.load()
    assert places.named_in("Tỉnh Bình Dương triển khai Kết luận 43 bằng văn bản số mấy?") == {("binh", "duong")}
    assert places.named_in("o tp.hcm co lam theo cong van nay khong") == {("tp", "hcm")}
    assert places.named_in("Chủ tịch Hồ Chí Minh nói dân vận khéo thì việc gì cũng thành công") == set()


@pytest.mark.parametrize("question", ["dân biết dân bàn là phương châm gì, gồm mấy ý",
                                      "dan biet dan ban la phuong cham gi, gom may y", "câu đó có mấy vế"])
def test_counting_the_parts_of_a_quotation_is_not_asking_for_a_number(question: str) -> None:
    ask = AnswerTypes.load().classify(question)
    assert ask is None or ask.kind != AMOUNT


@pytest.mark.parametrize("question", ["tỉnh có bao nhiêu người làm công tác dân vận",
                                      "Quyết định 23-QĐ/TW có bao nhiêu chương và bao nhiêu điều?"])
def test_counting_people_or_articles_still_asks_for_a_number(question: str) -> None:
    ask = AnswerTypes.load().classify(question)
    assert ask is not None and ask.kind == AMOUNT
