"""Deciding whether to answer: the kinds of fact a question asks for, the gates, and the model on the real index."""
from __future__ import annotations

import pytest

from knowledge.abstention import GATES, LogisticRule
from knowledge.answering import DECLINE_TEXT
from knowledge.answertype import AMOUNT, PERSON, AnswerTypes, question_years

CITATION = "Công văn số 608/UBND-NCPC ngày 02/4/2019 của UBND tỉnh Tây Ninh"
SOURCE = "Công văn 608/UBND-NCPC ngày 02/4/2019."


@pytest.fixture(scope="module")
def types() -> AnswerTypes:
    return AnswerTypes.load()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Công văn 608 quy định phạt bao nhiêu nếu không thực hiện?", "penalty"),
        ("muc phat can bo hach dich la bao nhieu", "penalty"),
        ("Kinh phí tổ chức phong trào lấy từ đâu?", "money"),
        ("ngan sach cho dan van nam 2019 la bao nhieu", "money"),
        ("mấy ông cán bộ xã làm dân vận lương nhiêu vậy", "money"),
        ("Hạn chót nộp báo cáo là ngày nào?", "deadline"),
        ("sđt của phó chủ tịch ubnd tỉnh", "contact"),
        ("địa chỉ ban dân vận tỉnh ủy", "address"),
        ("Hội nghị triển khai được tổ chức ở đâu?", "place"),
        ("Ông ấy năm nay bao nhiêu tuổi?", AMOUNT),
        ("Kết luận 43 gồm mấy nội dung chính?", AMOUNT),
        ("Ai là Chủ tịch Ủy ban Mặt trận Tổ quốc tỉnh?", PERSON),
    ],
)
def test_questions_asking_for_a_kind_of_fact_are_recognised(types: AnswerTypes, question: str, kind: str) -> None:
    ask = types.classify(question)
    assert ask is not None and ask.kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "tỉnh có khen mấy người làm dân vận giỏi không vậy",  # "mấy" as a plural in a yes/no question
        "đường này có kẹt xe không mấy bạn",
        "cong van tay ninh ve dan van nam 2019 so hieu bao nhieu",  # an identifier, not an amount
        "cv 608 ngay bao nhieu",  # a date
        "Văn bản của Thủ tướng năm 2016 về dân vận tên là gì?",  # a document's title, not a person
        "Công văn yêu cầu phát huy vai trò của nhân dân thế nào?",  # "phát" is not "phạt"
        "cong van yeu cau phat huy vai tro nhan dan the nao",
        "Dân vận có giúp phát triển kinh tế không?",
    ],
)
def test_questions_asking_for_an_explanation_have_no_fact_kind(types: AnswerTypes, question: str) -> None:
    assert types.classify(question) is None


def test_a_fact_of_the_asked_kind_must_be_in_the_passage(types: AnswerTypes) -> None:
    money = types.classify("phụ cấp bao nhiêu tiền")
    assert money is not None
    assert not types.gives(money, "hướng đến mục tiêu đồng thuận của cộng đồng")  # "đồng" is not money here
    assert types.gives(money, "mức hỗ trợ 500.000 đồng mỗi tháng")
    count = types.classify("có bao nhiêu người được khen thưởng")
    assert count is not None and count.unit == "nguoi"
    assert not types.gives(count, "Kết luận số 43-KL/TW ngày 07/01/2019", "paragraph")  # dates and numbers of documents
    assert types.gives(count, "đã khen thưởng 12 người", "paragraph")
    place = types.classify("Quyết định được ban hành ở đâu?")
    assert place is not None and types.gives(place, "Hà Nội, ngày 30 tháng 7 năm 2021")
    address = types.classify("địa chỉ trụ sở ở đâu")
    assert address is not None and not types.gives(address, "Hà Nội, ngày 30 tháng 7 năm 2021")
    who = types.classify("Ai là Chủ tịch Mặt trận Tổ quốc tỉnh?")
    assert who is not None
    signature_terms = frozenset(["cong", "van", "608", "chu", "ky", "pho", "chu", "tich", "nguyen", "thanh", "ngoc"])
    assert not types.gives(who, "PHÓ CHỦ TỊCH Nguyễn Thanh Ngọc", "signature", signature_terms)


@pytest.mark.parametrize(
    "question",
    [
        "ai là trưởng ban dân vận trung ương hiện nay",
        "ai la truong ban dan van trung uong hien nay",
        "ông phó chủ tịch ký công văn đó giờ còn làm ở tỉnh ko",  # signing in 2019 says nothing about today
        "ổng Nguyễn Thanh Ngọc về hưu chưa dzậy",
        "bi thu tinh uy bay gio ten gi",
        "Tổng Bí thư hiện nay là ai?",
    ],
)
def test_questions_about_who_holds_an_office_now_ask_for_the_present(types: AnswerTypes, question: str) -> None:
    ask = types.classify(question)
    assert ask is not None and ask.kind == "incumbent"
    assert not types.gives(ask, "T/M BỘ CHÍNH TRỊ TỔNG BÍ THƯ Nguyễn Phú Trọng", "signature")
    assert not types.gives(ask, "JCT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Thanh Ngọc", "signature")
    assert types.gives(ask, "Ông Nguyễn Văn A hiện là Trưởng Ban Dân vận Tỉnh ủy", "paragraph")


@pytest.mark.parametrize(
    "question",
    [
        "quy chế dân vận hiện nay do ai ký",  # a current document's signer: its signature answers
        "quyết định 290 bây giờ còn hiệu lực không",  # a document, not a person
        "Công tác dân vận hiện nay cần chú trọng những gì?",
        "dân vận hiện nay ai cũng phải làm hả",
    ],
)
def test_present_time_words_without_an_office_are_not_about_office_holders(types: AnswerTypes, question: str) -> None:
    ask = types.classify(question)
    assert ask is None or ask.kind != "incumbent"


@pytest.mark.parametrize(
    "question",
    [
        "mấy vụ khiếu kiện kéo dài thì tỉnh tính xử lý sao",  # "mấy" as a plural: it asks how, not how many
        "mấy vụ khiếu kiện đông người thì giải quyết thế nào",
        "tỉnh bắt mấy sở phải làm gì với kết luận 43",
        "điển hình dân vận khéo là mấy người như nào",
    ],
)
def test_a_plural_may_before_a_how_or_what_question_does_not_count(types: AnswerTypes, question: str) -> None:
    assert types.classify(question) is None


def test_years_named_in_a_question() -> None:
    assert question_years("ai là chủ tịch tỉnh năm 2024, còn 2019?") == {"2024", "2019"}
    assert question_years("Công văn 608 ký ngày nào?") == set()


def test_a_failed_gate_declines_whatever_the_model_says() -> None:
    rule = LogisticRule(("cos_top",), (0.0,), (1.0,), (10.0,), 10.0, 0.5, GATES)
    assert rule.passes({"cos_top": 1.0, "type_ok": 1.0, "year_ok": 1.0})
    assert rule.probability({"cos_top": 1.0, "type_ok": 1.0, "year_ok": 1.0}) > 0.99
    assert rule.probability({"cos_top": 1.0, "type_ok": 0.0, "year_ok": 1.0}) == 0.0
    assert LogisticRule.from_dict(rule.to_dict()) == rule


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "Công văn 608 quy định mức phạt bao nhiêu tiền nếu cơ quan không thực hiện?",
        "Hạn chót để các sở nộp kế hoạch thực hiện Kết luận 43 là ngày nào?",
        "Ai là Chủ tịch Ủy ban Mặt trận Tổ quốc tỉnh Tây Ninh?",
        "Số điện thoại của người ký công văn 608 là gì?",
        "ngan sach tinh chi cho phong trao dan van kheo la bao nhieu",
        "Năm 2024 tỉnh đã tổng kết công văn 608 chưa?",
        "ông phó chủ tịch ký công văn 608 giờ còn làm ở tỉnh không",
        "ai la pho chu tich ubnd tinh tay ninh hien nay",
    ],
)
def test_questions_about_details_the_documents_do_not_give_are_declined(knowledge_base, question: str) -> None:
    answer = knowledge_base.ask(question)
    assert not answer.answered, answer.answer
    assert answer.answer == DECLINE_TEXT


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "evidence", "section"),
    [
        ("Cán bộ mà lạnh lùng, bỏ mặc dân thì công văn có phê phán không?", "thờ ơ, vô cảm",
         "điểm 4, gạch đầu dòng thứ hai"),
        ("Người dân có được góp ý vào chủ trương, chính sách không?", "sự tham gia của nhân dân",
         "điểm 4, gạch đầu dòng thứ nhất"),
        ("bà con bức xúc chuyện đời sống thì chính quyền phải giải quyết gọn lẹ hả",
         "xử lý khẩn trương, dứt điểm", "điểm 4, gạch đầu dòng thứ ba"),
        ("mấy vụ khiếu kiện đông người kéo dài thì tỉnh xử lý sao", "khiếu kiện đông người",
         "điểm 4, gạch đầu dòng thứ ba"),
        pytest.param("tỉnh có tuyên dương mấy người làm dân vận giỏi hông", "biểu dương, nhân rộng",
                     "điểm 6", marks=pytest.mark.xfail(
                         reason="since index format 3 the corpus guide's passage on 'điển hình' ranks first and point "
                                "6 second (evidence still in the top 3); 'tỉnh' does not yet point at the letter",
                         strict=False)),  # "giỏi" is the everyday word for "khéo"
        ("tui hổng biết mấy ông cán bộ hách dịch thì công văn biểu mần sao dzậy", "hách dịch, cửa quyền",
         "điểm 4, gạch đầu dòng thứ hai"),
    ],
)
def test_paraphrased_questions_are_answered_with_the_right_citation(
        knowledge_base, question, evidence, section) -> None:
    answer = knowledge_base.ask(question)
    assert answer.answered, answer.answer
    assert any(evidence in " ".join(s.text.split()) for s in answer.sources[:3])
    assert answer.answer.split("\n")[-1] == f"Nguồn: {section}, {SOURCE}"  # the fact first, then its source


@pytest.mark.slow
def test_either_spelling_of_a_final_i_or_y_finds_the_signature(knowledge_base) -> None:
    for question in ("công văn 608 ai kí", "cong van 608 ai ki"):
        answer = knowledge_base.ask(question)
        assert answer.answered and answer.sources[0].section == "chữ ký", question
        assert "Nguyễn Thanh Ngọc" in answer.answer
