"""How single turns are read (actions/understanding.py, actions/triage.py): consent, questions, petitions.

These are the fast checks of the phrase lists; tests/test_dialogue_understanding.py plays the same situations
through the real Rasa and action servers.
"""
from __future__ import annotations

import pytest

from actions.triage import read_outside_form
from actions.understanding import ConsentReading, Turn, read_consent

REFUSALS = [
    "tôi không đồng ý đưa thông tin cá nhân của mình",
    "KHÔNG ĐỒNG Ý",
    "khong dong y dau",
    "chưa đồng ý đâu",
    "tôi từ chối",
    "không được đâu, tôi không khai báo thông tin cá nhân",
    "đồng ý cái gì, tui hổng khai đâu",
    "tôi không cho phép lưu thông tin",
    "ko dong y cung cap sdt",
    "đồng ý nhưng đừng lưu số điện thoại",
    "e k đồng ý đâu ad",
    "hong dong y",
    "không",
    "ko",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_a_refusal_is_never_consent(text: str) -> None:
    assert read_consent(text) is ConsentReading.REFUSE


@pytest.mark.parametrize("text", [
    "vâng, tôi đồng ý", "dong y nha", "ờ, đồng ý hết trơn", "ok ad, e đồng ý đc á", "dạ đồng ý", "Đồng ý",
    "/affirm", "chap nhan", "dạ vâng ạ", "có", "ok",
])
def test_a_clear_yes_is_consent(text: str) -> None:
    assert read_consent(text) is ConsentReading.AGREE


@pytest.mark.parametrize("text,reading", [
    ("không, tôi chỉ hỏi thôi", ConsentReading.NO_FILE),
    ("thôi khỏi", ConsentReading.NO_FILE),
    ("ko gửi nữa", ConsentReading.NO_FILE),
    ("/stop", ConsentReading.NO_FILE),
    ("thế thì cho tôi ẩn danh", ConsentReading.ANONYMOUS),
    ("giấu tên giùm", ConsentReading.ANONYMOUS),
    ("/anonymous", ConsentReading.ANONYMOUS),
    ("nếu tôi không đồng ý thì còn gửi được không?", ConsentReading.QUESTION),
    ("số điện thoại của tôi có ai xem không", ConsentReading.QUESTION),
    ("xem chi tiết", ConsentReading.DETAILS),
    ("/consent_details", ConsentReading.DETAILS),
    ("hôm nay trời đẹp", ConsentReading.UNCLEAR),
    ("", ConsentReading.UNCLEAR),
])
def test_the_other_ways_out_of_the_consent_step(text: str, reading: ConsentReading) -> None:
    assert read_consent(text) is reading


@pytest.mark.parametrize("text", [
    "Tui muốn khiếu nại cái cô cán bộ bộ phận một cửa phường, má tui 70 tuổi lên nộp hồ sơ mà cổ nạt nộ quá trời",
    "tôi muốn phản ánh về an toàn thực phẩm",
    "ad ơi e mún tố cáo vụ lừa đảo nè, tụi nó giả làm shipper gọi mẹ e bắt chuyển khoản 5 củ rồi chặn số lun",
    "muon to cao can bo xa an hoi lo",
    "có chuyện muốn nhờ xã giải quyết",
    "Xe ben chở đất san lấp chạy qua đường ấp Bình Lợi làm rơi đất đá khắp đường, trời mưa trơn trượt, đã có "
    "người té gãy tay",
])
def test_complaints_in_everyday_speech_read_as_petitions(text: str) -> None:
    assert read_outside_form(text, "ask_policy") == "petition"


@pytest.mark.parametrize("text,intent,reading", [
    ("Công văn 608 nói gì về tiếp nhận phản ánh của dân?", "ask_policy", "question"),
    ("dân vận khéo là gì", "ask_policy", "question"),
    ("tôi quên mã số thuế cá nhân, tra lại ở đâu?", "check_status", "question"),
    ("đơn tôi gửi hồi nãy giải quyết tới đâu rồi?", "check_status", "status"),
    ("thôi tui đi nha, bái bai", "nlu_fallback", "goodbye"),
    ("tư vấn giúp tôi nên mua xe máy hãng nào bền", "help", "question"),
    ("Hi! When was Tay Ninh's official letter 608/UBND-NCPC issued?", "nlu_fallback", "english"),
    ("bạn giúp gì được", "help", "help"),
    ("hồ sơ của tôi", "check_status", "mine"),
    ("tôi quên mã tra cứu rồi", "check_status", "mine"),
    ("xem nguyên văn", "nlu_fallback", "source"),
    ("x" * 1200, "ask_policy", "petition"),
])
def test_messages_outside_the_form(text: str, intent: str, reading: str) -> None:
    assert read_outside_form(text, intent) == reading


@pytest.mark.parametrize("text,question", [
    ("à mà cho hỏi, Nghị quyết 25 về công tác dân vận ra đời năm nào vậy?", True),
    ("Công văn 608 có yêu cầu chính quyền phải đối thoại với dân không", True),
    ("xã Tân Lập nha", False),
    ("0912 345 678", False),
    ("Đường ấp 3 hư hỏng nặng từ tháng trước, xe cộ đi lại rất khó khăn", False),
])
def test_questions_are_told_from_answers(text: str, question: bool) -> None:
    assert Turn(text).is_question is question


def test_a_huge_message_is_read_in_bounded_time() -> None:
    turn = Turn("không " * 100_000)
    assert len(turn.raw) <= 2000
    assert turn.negated
