"""Asking the knowledge base on the real model: cited answers, with and without diacritics, and honest declines."""
from __future__ import annotations

import pytest

from knowledge.answering import DECLINE_TEXT

pytestmark = pytest.mark.slow

CITATION = "Công văn số 608/UBND-NCPC ngày 02/4/2019 của UBND tỉnh Tây Ninh"
SOURCE = "Công văn 608/UBND-NCPC ngày 02/4/2019."


def evidence_in_top3(answer, phrase: str) -> bool:
    return any(phrase.casefold() in " ".join(s.text.split()).casefold() for s in answer.sources[:3])


@pytest.mark.parametrize(
    ("question", "evidence", "section"),
    [
        ("Công văn 608 yêu cầu gì về phong trào thi đua Dân vận khéo?", "phong trào thi đua “Dân vận khéo”", "điểm 6"),
        ("cong van 608 yeu cau gi ve phong trao thi dua dan van kheo", "phong trào thi đua “Dân vận khéo”", "điểm 6"),
        ("Bộ đội, công an có phải gương mẫu khi tiếp xúc với dân không?",
         "lực lượng vũ trang trực tiếp giao tiếp với nhân dân", "điểm 4, gạch đầu dòng thứ hai"),
        ("bo doi cong an co phai guong mau khi tiep xuc voi dan khong",
         "lực lượng vũ trang trực tiếp giao tiếp với nhân dân", "điểm 4, gạch đầu dòng thứ hai"),
    ],
)
def test_answers_quote_the_letter_and_cite_point_and_document(knowledge_base, question, evidence, section) -> None:
    answer = knowledge_base.ask(question)
    assert answer.answered, answer.answer
    assert evidence_in_top3(answer, evidence)
    assert answer.answer.split("\n")[-1] == f"Nguồn: {section}, {SOURCE}"  # the fact first, then its source
    assert len(answer.sources) >= 3


def test_with_and_without_diacritics_find_the_same_passage(knowledge_base) -> None:
    accented = knowledge_base.ask("Quy chế dân chủ ở cơ sở có được công văn nhắc tới không?")
    folded = knowledge_base.ask("quy che dan chu o co so co duoc cong van nhac toi khong")
    assert accented.sources[0].section == folded.sources[0].section == "điểm 4, gạch đầu dòng thứ ba"


def test_who_signed_is_answered_from_the_signature(knowledge_base) -> None:
    answer = knowledge_base.ask("Ai ký công văn 608?")
    assert answer.answered
    assert "Nguyễn Thanh Ngọc" in answer.answer
    assert answer.sources[0].section == "chữ ký"


@pytest.mark.parametrize(
    "question",
    [
        "Giá vàng SJC hôm nay bao nhiêu một lượng?",
        "lich cup dien o hoa thanh tuan sau",
        "Quyết định 23-QĐ/TW có bao nhiêu chương và bao nhiêu điều?",
        "Số điện thoại đường dây nóng của Ban Dân vận Tỉnh ủy là gì?",
    ],
)
def test_questions_the_documents_do_not_answer_are_declined(knowledge_base, question: str) -> None:
    answer = knowledge_base.ask(question)
    assert not answer.answered
    assert answer.answer == DECLINE_TEXT
    assert "không đề cập" in answer.answer and "phản ánh, kiến nghị" in answer.answer


def test_to_dict_has_the_cli_shape(knowledge_base) -> None:
    data = knowledge_base.ask("Kết luận 43-KL/TW do cơ quan nào ban hành?").to_dict()
    assert set(data) == {"answered", "answer", "sources"}
    assert data["answered"] is True
    assert len(data["sources"]) >= 3
    for source in data["sources"]:
        assert set(source) == {"doc", "title", "section", "text", "score"}
        assert isinstance(source["score"], float) and source["text"]
    scores = [s["score"] for s in data["sources"]]
    assert scores == sorted(scores, reverse=True)  # best first


def test_corpus_documents_are_cited_by_number_and_date(knowledge_base, corpus_dir) -> None:
    answer = knowledge_base.ask("Quyết định 23-QĐ/TW thay thế quyết định nào?")
    assert answer.answered
    assert answer.sources[0].doc == "qd-23-qdtw-2021"
    source = answer.answer.split("\n")[-1]
    assert source.endswith("Quyết định 23-QĐ/TW ngày 30/7/2021."), source
    assert "290" in answer.answer


def test_reference_cards_say_they_are_summaries(knowledge_base) -> None:
    answer = knowledge_base.ask("Luật Thực hiện dân chủ ở cơ sở có hiệu lực từ ngày nào?")
    assert answer.answered
    assert "01/7/2023" in answer.answer
    assert "không phải văn bản chính thức" in answer.answer


def test_card_notice_is_never_a_source(knowledge_base) -> None:
    """Every reference card opens with the same notice that it is a summary; naming the card's document must bring
    its content, not that notice, into the top passages."""
    for question in ("Nghị quyết 25-NQ/TW nói về vấn đề gì?", "nghi quyet 25 noi ve van de gi"):
        answer = knowledge_base.ask(question)
        assert all(not s.text.startswith("Bản tóm tắt do hệ thống biên soạn") for s in answer.sources)
        assert evidence_in_top3(answer, "Tăng cường và đổi mới sự lãnh đạo của Đảng đối với công tác dân vận")


def test_a_document_that_names_the_asked_one_is_searched_too(knowledge_base, corpus_dir) -> None:
    """"Which decision replaced decision 290?" is answered by decision 23, which names 290; the boost given to the
    document a question names reaches the passages of other documents that name it (and a typo is corrected)."""
    answer = knowledge_base.ask("quyết địng 290 được thay bằng quyết định nào")
    assert answer.answered
    assert evidence_in_top3(answer, "thay thế Quyết định số 290-QĐ/TW")


def test_empty_question_is_not_searched(knowledge_base) -> None:
    answer = knowledge_base.ask("   ")
    assert not answer.answered and answer.sources == []
