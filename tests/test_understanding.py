"""How single turns are read (actions/understanding.py, actions/triage.py): consent, questions, petitions.

These are the fast checks of the phrase lists; tests/test_dialogue_understanding.py plays the same situations
through the real Rasa and action servers.
"""
from __future__ import annotations

import pytest

from actions.triage import read_outside_form
from actions.understanding import ConsentReading, Turn, commune_mentions, read_consent, read_draft_answer

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


# -- found by the held-out set tests/dialogues/heldout_c.jsonl ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "hk",  # teen code for "không": every spelling of "không" is one word to the phrase lists
    "hk đâu",
    "khum đồng ý đâu",
    "no",  # was a YAML boolean in the list, so it matched nothing
    "ai mà đồng ý",  # rhetorical: "who would agree"
    "không chịu mô, tui không cho lấy thông tin chi hết",
    "đồng ý làm chi, không nha",
    "k",
])
def test_short_regional_and_rhetorical_refusals_are_refusals(text: str) -> None:
    assert read_consent(text) is ConsentReading.REFUSE


@pytest.mark.parametrize("text", [
    "răng phải đồng ý",  # central: "why must I agree"
    "đồng ý để làm chi",
    "đồng ý cái chi rứa",
    "đồng ý rồi thì ai coi thông tin",
])
def test_a_question_holding_dong_y_is_no_consent(text: str) -> None:
    assert read_consent(text) is ConsentReading.QUESTION


@pytest.mark.parametrize("text", ["có thể", "đồng ý một phần", "để xem đã"])
def test_a_hedge_is_no_clear_yes(text: str) -> None:
    assert read_consent(text) is ConsentReading.UNCLEAR


@pytest.mark.parametrize("text", [
    "yes", "ừ", "dạ vâng, mình đồng ý ạ", "ok ạ", "ừ được rồi, đồng ý",
    "Vâng, tôi đồng ý để quý cơ quan sử dụng thông tin của tôi vào việc giải quyết kiến nghị",
    "tôi đồng ý, có thể liên hệ tôi qua số này",
])
def test_more_clear_yeses(text: str) -> None:
    assert read_consent(text) is ConsentReading.AGREE


@pytest.mark.parametrize("text,reading", [
    ("hk gửi nữa", ConsentReading.NO_FILE),
    ("tôi chỉ đồng ý gửi ẩn danh thôi", ConsentReading.ANONYMOUS),
    ("thôi để bữa khác", ConsentReading.NO_FILE),
])
def test_refusals_that_say_what_to_do(text: str, reading: ConsentReading) -> None:
    assert read_consent(text) is reading


def test_spellings_of_khong_are_one_word() -> None:
    assert Turn("hk gửi nữa").words == Turn("khum gửi nữa").words == ["khong", "gui", "nua"]


@pytest.mark.parametrize("text,cancels", [
    ("thôi khỏi, để khi mô rảnh tui gửi lại", True),  # puts the sending off: the whole petition, not the phone
    ("à mà thôi, để bữa khác", True),
    ("à mà thôi, không gửi nữa", True),
    ("hk gửi nữa", True),
    ("thôi khỏi để số", False),  # no phone, not a cancel
    ("Đề nghị xã để sau Tết hãy thu phí vệ sinh vì bà con còn khó khăn", False),
])
def test_putting_the_sending_off_cancels(text: str, cancels: bool) -> None:
    assert Turn(text).cancels is cancels


@pytest.mark.parametrize("text,corrects", [
    ("khoan, tôi ghi nhầm xã, phải là xã Long Thuận", True),
    ("ghi lộn phường rồi", True),
    ("sai số điện thoại rồi", True),
    ("khoan, cho hỏi xã phải làm gì?", False),
    ("xã Long Thuận", False),
    ("Cán bộ xã ghi sai tên tôi trong sổ đỏ, tôi đã làm đơn xin đính chính ba lần mà tới nay vẫn chưa ai giải quyết "
     "cho, mỗi lần lên xã đều bị hẹn lại", False),
])
def test_a_correction_of_an_earlier_answer_is_told_from_a_question(text: str, corrects: bool) -> None:
    assert Turn(text).corrects is corrects


def test_a_commune_named_with_its_prefix_is_offered_to_the_directory() -> None:
    text = "Đường dây điện võng xuống sát đầu người. Ở xã Tân Phú, số mình 0916 204 857"
    assert ("xã", "Tân Phú") in commune_mentions(text)
    assert commune_mentions("phường Thanh Điền, sđt 0903") == [("phường", "Thanh Điền"), ("phường", "Thanh")]


@pytest.mark.parametrize("text,intent,reading", [
    ("chưa giải quyết gì hết", "deny", "mine"),  # nothing awaits a rating: how far are my petitions
    ("sao chưa ai trả lời vậy ad", "deny", "mine"),
    ("tuan nay co bao ko ad", "deny", "question"),  # "… ko ad" asks; it is no bare "no"
    ("Xin hỏi tôi có thể hỏi những gì ở đây?", "ask_policy", "help"),
    ("đường ấp tôi ngập ba năm nay chưa giải quyết, xin phản ánh", "ask_policy", "petition"),
])
def test_more_messages_outside_the_form(text: str, intent: str, reading: str) -> None:
    assert read_outside_form(text, intent) == reading


@pytest.mark.parametrize("text,question", [
    ("tuan nay co bao ko ad", True),
    ("răng phải ghi xã chi rứa", True),
    ("dạ không ạ", False),
    ("đau răng quá trời mà trạm y tế không có bác sĩ", False),
])
def test_central_and_trailing_question_forms(text: str, question: bool) -> None:
    assert Turn(text).is_question is question


def test_u_with_an_acute_is_no_not_yes() -> None:
    # "ứ" (no) and "ừ" (yes) fold to the same letter: only the diacritic tells them apart.
    assert read_consent("ứ") is ConsentReading.REFUSE
    assert read_consent("ừ") is ConsentReading.AGREE


@pytest.mark.parametrize("text,skips,cancels", [
    ("khỏi nha", True, True),  # at the phone question this declines the phone (petition_form asks skips_phone first)
    ("khỏi cần", True, False),
    ("thôi khỏi, để khi mô rảnh tui gửi lại", False, True),
])
def test_a_bare_khoi_declines_the_phone(text: str, skips: bool, cancels: bool) -> None:
    turn = Turn(text)
    assert (turn.skips_phone, turn.cancels) == (skips, cancels)


@pytest.mark.parametrize("text,right", [
    ("đúng rồi", True), ("dùng đi", True), ("dừng lại", False), ("đúng rồi, hủy đi", False), ("dung roi", False),
])
def test_right_and_use_are_told_from_stop_by_their_diacritics(text: str, right: bool) -> None:
    assert Turn(text).says_right_or_use is right


@pytest.mark.parametrize("text", ["thôi dẹp đi", "thôi nghỉ", "đổi ý rồi"])
def test_more_ways_to_stop(text: str) -> None:
    assert Turn(text).cancels


@pytest.mark.parametrize("text", ["đúng rồi", "dùng đi", "dùng cái đó"])
def test_taking_the_offered_text_in_words(text: str) -> None:
    assert read_draft_answer(text) is True


@pytest.mark.parametrize(("text", "stops"), [("đúng rồi", False), ("dùng đi", False), ("Đúng rồi ạ", False),
                                             ("dừng lại", True), ("dung lai", True), ("hủy", True)])
def test_only_dung_with_its_own_tone_is_a_stop(text: str, stops: bool) -> None:
    """Folded, "đúng rồi" (right) and "dùng đi" (use it) read "dừng" (stop); typed with diacritics they are not."""
    from actions.common import is_cancel_phrase

    assert is_cancel_phrase(text) is stops


@pytest.mark.parametrize(("text", "field"), [
    ("răng phải ghi xã chi rứa?", "commune"),
    ("sao phải cho biết xã?", "commune"),
    ("tại sao phải ghi phường vậy ad?", "commune"),
    ("tại sao cần số điện thoại?", "phone"),
    ("luu sdt cua e de lam j vay ad?", "phone"),
    ("số điện thoại để làm chi vậy, có ai gọi làm phiền không?", "phone"),
    ("cho hỏi ghi nội dung để làm gì?", "matter"),
    ("tại sao xã không sửa đường?", None),  # names the commune, asks for nothing
    ("tại sao phải nộp tiền cho xã?", None),
    ("sao lại phải đưa dữ liệu cá nhân?", None),  # consent, answered with the consent notice
    ("xã Tân Phú", None),
    ("ghi xã Tân Phú", None),  # no question
    ("Sở Y tế phải làm gì theo công văn 608?", None),  # "Sở" folds to "so"; "phải làm gì" asks for duties
    ("cán bộ xã phải làm gì khi dân tới hỏi vậy", None),
])
def test_why_the_form_asks_for_a_field(text: str, field: str | None) -> None:
    assert Turn(text).asks_why_field() == field


def test_a_why_field_question_is_answered_from_the_catalogue_not_the_documents() -> None:
    from actions import texts
    from actions.questions import field_reason

    assert field_reason("răng phải ghi xã chi rứa?") == texts.FIELD_REASONS["commune"]
    assert "số điện thoại" not in texts.FIELD_REASONS["commune"]  # asked before the phone: no word of it yet
    assert field_reason("tại sao cần số điện thoại?") == texts.FIELD_REASONS["phone"]
    assert field_reason("dân vận khéo là gì") is None
