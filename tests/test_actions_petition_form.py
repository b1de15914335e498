"""ValidationPetitionForm in process: what each answer of the petition form does to the slots and the replies."""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.petition_form import ActionAskConfirmed, ActionAskConsent, ActionAskMatter, ValidationPetitionForm
from tests.fixtures_dialogue import action_services, domain_dict, make_tracker, slot_events, texts_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("action_services")

FILLED = {
    "consent": True,
    "consent_at": "2026-01-05T08:00:00+00:00",
    "consent_text": "…",
    "matter": "Đường vào ấp Bàu Sen bị sụt lún nặng sau mưa, xe máy đi lại rất nguy hiểm",
    "commune": "xã Tân Châu",
    "commune_code": "xa-tan-chau",
    "phone": "+84912345678",
}


async def validate(domain: dict[str, Any], text: str, *, requested: str | None,
                   candidates: dict[str, Any] | None = None, slots: dict[str, Any] | None = None,
                   intent: str = "", confidence: float = 1.0,
                   ) -> tuple[dict[str, Any], str]:
    """Run the validation action the way petition_form calls it after the citizen's message."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text, intent=intent, confidence=confidence, slots=slots, active_loop="petition_form",
        requested_slot=requested, candidates=candidates,
    )
    events = await ValidationPetitionForm().run(dispatcher, tracker, domain)
    return slot_events(events), texts_of(dispatcher)


# -- consent (Luật 91/2025/QH15: explicit, never implied) ---------------------------------------------------------


@pytest.mark.parametrize("text, intent", [("Đồng ý", "affirm"), ("dong y", "affirm"), ("/affirm", "affirm"),
                                          ("vâng, tôi đồng ý ạ", "affirm")])
async def test_an_explicit_yes_gives_consent_and_records_when(domain_dict: dict, text: str, intent: str) -> None:
    slots, reply = await validate(domain_dict, text, requested="consent", intent=intent)
    assert slots["consent"] is True and slots["consent_at"]
    assert slots["requested_slot"] == "matter"
    assert reply == ""


@pytest.mark.parametrize("text", ["chắc vậy", "để xem đã", "hmm"])
async def test_a_vague_reply_is_not_taken_as_consent(domain_dict: dict, text: str) -> None:
    slots, _ = await validate(domain_dict, text, requested="consent", intent="affirm", confidence=0.7)
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    # The form asks again with the three ways out.
    dispatcher = CollectingDispatcher()
    await ActionAskConsent().run(dispatcher, make_tracker("", slots={"consent_prompt": slots["consent_prompt"]}),
                                 domain_dict)
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]][:3] == ["Đồng ý", "Gửi ẩn danh", "Không gửi nữa"]


@pytest.mark.parametrize("text, intent", [("tôi không đồng ý đưa thông tin cá nhân của mình", "affirm"),
                                          ("không", "deny"), ("KHÔNG ĐỒNG Ý", "affirm")])
async def test_a_refusal_asks_whether_to_file_anonymously_or_not_at_all(domain_dict: dict, text: str,
                                                                         intent: str) -> None:
    slots, _ = await validate(domain_dict, text, requested="consent", intent=intent, confidence=0.95)
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    assert slots["consent_prompt"] == "choice"
    dispatcher = CollectingDispatcher()
    await ActionAskConsent().run(dispatcher, make_tracker("", slots={"consent_prompt": "choice"}), domain_dict)
    assert "ẩn danh" in texts_of(dispatcher)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]][:2] == ["/anonymous", "/stop"]


@pytest.mark.parametrize("text, intent", [("gửi ẩn danh", "anonymous"), ("ẩn danh", "anonymous"),
                                          ("/anonymous", "anonymous")])
async def test_anonymous_means_a_petition_without_a_phone_question(
    domain_dict: dict, text: str, intent: str
) -> None:
    slots, reply = await validate(domain_dict, text, requested="consent", intent=intent)
    assert slots["consent"] is False and slots["requested_slot"] == "matter"
    assert "ẩn danh" in reply
    # After the commune, an anonymous petition goes straight to the summary: no phone is asked.
    anonymous = {**FILLED, "consent": False, "consent_at": None, "phone": None}
    slots, _ = await validate(domain_dict, "xã Tân Châu", requested="commune", candidates={"commune": "xã Tân Châu"},
                              slots=anonymous, intent="inform_commune")
    assert slots["requested_slot"] == "confirmed"


async def test_not_filing_at_all_leaves_the_form_with_nothing_kept(domain_dict: dict) -> None:
    slots, reply = await validate(domain_dict, "không, tôi chỉ hỏi thôi", requested="consent", intent="deny",
                                  slots={"matter_draft": "Đường ấp 3 hư hỏng nặng, xe cộ đi lại rất khó khăn"})
    assert slots["requested_slot"] is None and slots["matter_draft"] is None and slots["consent"] is None
    assert "không gửi" in reply


async def test_the_consent_question_is_short_with_the_legal_text_one_tap_away(domain_dict: dict) -> None:
    from petitions.consent import CONSENT_TEXT_VI

    dispatcher = CollectingDispatcher()
    await ActionAskConsent().run(dispatcher, make_tracker(""), domain_dict)
    prompt = texts_of(dispatcher)
    assert len(prompt.splitlines()) <= 3 and "dữ liệu cá nhân" in prompt
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "/affirm", "/anonymous", "/stop", "/consent_details"]
    slots, _ = await validate(domain_dict, "/consent_details", requested="consent", intent="consent_details")
    dispatcher = CollectingDispatcher()
    await ActionAskConsent().run(dispatcher, make_tracker("", slots={"consent_prompt": slots["consent_prompt"]}),
                                 domain_dict)
    assert texts_of(dispatcher) == CONSENT_TEXT_VI and "91/2025/QH15" in CONSENT_TEXT_VI
    # What is recorded with a yes is the prompt and the legal text behind its button.
    slots, _ = await validate(domain_dict, "Đồng ý", requested="consent", intent="affirm")
    assert prompt in slots["consent_text"] and CONSENT_TEXT_VI in slots["consent_text"]


# -- matter -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("đường hư", "ngắn quá"),
        ("😡😡😡🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏🙏", "biểu tượng"),
        ("Đường hư hỏng nặng. " * 5000, "dài quá"),
        ("", "chưa nhập"),
    ],
)
async def test_a_bad_matter_is_refused_with_a_reason(domain_dict: dict, text: str, expected: str) -> None:
    slots, reply = await validate(domain_dict, text, requested="matter", candidates={"matter": text},
                                  slots={"consent": True})
    assert slots["matter"] is None and slots["requested_slot"] == "matter"
    assert expected in reply


async def test_a_matter_is_kept_as_plain_text(domain_dict: dict) -> None:
    text = "<b>Cống thoát nước</b> trước chợ bị tắc,   nước thải tràn ra đường <script>alert(1)</script>"
    slots, reply = await validate(domain_dict, text, requested="matter", candidates={"matter": text},
                                  slots={"consent": True})
    assert slots["matter"].startswith("Cống thoát nước trước chợ bị tắc")
    assert "<" not in slots["matter"] and "alert" not in slots["matter"]
    assert slots["requested_slot"] == "commune" and reply == ""


async def test_a_substantial_first_message_is_offered_back_as_the_matter(domain_dict: dict) -> None:
    first = "Đèn đường ở khu phố 2 hỏng cả tháng nay, ban đêm rất tối và nguy hiểm cho người đi đường"
    slots, _ = await validate(domain_dict, first, requested=None, intent="file_petition")
    assert slots["matter_draft"] == first and slots["requested_slot"] == "consent"
    # The matter question offers the draft back with two buttons.
    dispatcher = CollectingDispatcher()
    await ActionAskMatter().run(dispatcher, make_tracker("đồng ý", slots={"matter_draft": first}), domain_dict)
    assert first in texts_of(dispatcher)
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Dùng nội dung này", "Nhập nội dung khác"]
    # "Dùng nội dung này" takes it.
    slots, _ = await validate(domain_dict, "/affirm", requested="matter", candidates={"matter": "/affirm"},
                              slots={"consent": True, "matter_draft": first}, intent="affirm")
    assert slots["matter"] == first and slots["requested_slot"] == "commune"


async def test_a_short_request_is_not_a_draft(domain_dict: dict) -> None:
    slots, _ = await validate(domain_dict, "tôi muốn gửi phản ánh", requested=None, intent="file_petition")
    assert "matter_draft" not in slots


# -- commune ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["xa hao duoc", "Hảo Đước", "xã Hảo Đước, huyện Châu Thành"])
async def test_a_commune_is_matched_without_diacritics_or_prefix(domain_dict: dict, typed: str) -> None:
    slots, reply = await validate(domain_dict, typed, requested="commune", candidates={"commune": typed},
                                  slots={"consent": True, "matter": FILLED["matter"]})
    assert slots["commune"] == "xã Hảo Đước" and slots["commune_code"]
    assert slots["requested_slot"] == "phone" and reply == ""


async def test_an_unknown_commune_is_asked_once_more_then_kept_as_typed_and_flagged(domain_dict: dict) -> None:
    filled = {"consent": True, "matter": FILLED["matter"]}
    slots, reply = await validate(domain_dict, "ấp Cây Xoài Đôi", requested="commune",
                                  candidates={"commune": "ấp Cây Xoài Đôi"}, slots=filled)
    assert slots["commune"] is None and slots["requested_slot"] == "commune"
    assert "Cây Xoài Đôi" in reply and "nhập lại" in reply
    slots, reply = await validate(domain_dict, "ấp Cây Xoài Đôi", requested="commune",
                                  candidates={"commune": "ấp Cây Xoài Đôi"},
                                  slots={**filled, "commune_retry": slots["commune_retry"]})
    assert slots["commune"] == "ấp Cây Xoài Đôi" and slots["commune_code"] is None
    assert slots["requested_slot"] == "phone"
    assert "cán bộ" in reply and "Cây Xoài Đôi" in reply


# -- phone ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, intent, expected",
    [
        ("0912.345.678", "inform_phone", "+84912345678"),
        ("+84 912 345 678", "inform_phone", "+84912345678"),
        ("số tôi là 0912 345 678 nhé", "inform_phone", "+84912345678"),
        ("không", "deny", "none"),
        ("/anonymous", "anonymous", "none"),
    ],
)
async def test_phone_answers_are_normalised(domain_dict: dict, typed: str, intent: str, expected: str) -> None:
    slots, reply = await validate(domain_dict, typed, requested="phone", candidates={"phone": typed},
                                  slots={**FILLED, "phone": None}, intent=intent)
    assert slots["phone"] == expected and slots["requested_slot"] == "confirmed" and reply == ""


async def test_a_wrong_phone_is_asked_again(domain_dict: dict) -> None:
    slots, reply = await validate(domain_dict, "12345", requested="phone", candidates={"phone": "12345"},
                                  slots={**FILLED, "phone": None}, intent="inform_phone")
    assert slots["phone"] is None and slots["requested_slot"] == "phone"
    assert "0912 345 678" in reply


# -- summary, edit, cancel --------------------------------------------------------------------------------------------


async def test_the_summary_shows_the_petition_and_the_routed_agency(domain_dict: dict) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskConfirmed().run(dispatcher, make_tracker("0912345678", slots=FILLED), domain_dict)
    text = texts_of(dispatcher)
    assert FILLED["matter"] in text and "xã Tân Châu" in text and "0912 345 678" in text
    assert "Chuyển đến: Sở Xây dựng" in text
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/edit_petition", "/stop"]


async def test_edit_asks_which_field_then_reopens_only_that_one(domain_dict: dict) -> None:
    slots, _ = await validate(domain_dict, "Sửa", requested="confirmed", candidates={"confirmed": "edit"},
                              slots=FILLED, intent="edit_petition")
    assert slots["confirmed"] is None and slots["editing"] is True and slots["requested_slot"] == "edit_field"
    slots, _ = await validate(domain_dict, "xã phường", requested="edit_field", candidates={"edit_field": "xã phường"},
                              slots={**FILLED, "editing": True})
    assert slots["commune"] is None and slots["editing"] is False
    assert slots["requested_slot"] == "commune"
    assert "matter" not in slots and "phone" not in slots  # the other answers are kept


async def test_editing_the_phone_of_an_anonymous_petition_asks_for_consent_first(domain_dict: dict) -> None:
    anonymous = {**FILLED, "consent": False, "consent_at": None, "phone": None, "editing": True}
    slots, reply = await validate(domain_dict, "số điện thoại", requested="edit_field",
                                  candidates={"edit_field": "số điện thoại"}, slots=anonymous)
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    assert "đồng ý" in reply


@pytest.mark.parametrize("requested", ["matter", "commune", "phone"])
@pytest.mark.parametrize("text", ["hủy", "thôi không gửi nữa", "/stop"])
async def test_cancel_typed_as_an_answer_ends_the_form_and_forgets_everything(
    domain_dict: dict, requested: str, text: str
) -> None:
    slots, reply = await validate(domain_dict, text, requested=requested, candidates={requested: text},
                                  slots={**FILLED, requested: None}, intent="stop")
    assert "Đã hủy" in reply
    assert slots["requested_slot"] is None
    assert all(slots[name] is None for name in ("consent", "matter", "commune", "phone", "consent_at"))


async def test_a_matter_that_mentions_cancelling_is_not_a_cancellation(domain_dict: dict) -> None:
    text = "Đề nghị hủy bỏ quyết định xử phạt không đúng của xã đối với gia đình tôi"
    slots, reply = await validate(domain_dict, text, requested="matter", candidates={"matter": text},
                                  slots={"consent": True}, intent="stop", confidence=0.8)
    assert slots["matter"] == text and "Đã hủy" not in reply


async def test_never_mind_while_choosing_a_field_goes_back_to_the_summary(domain_dict: dict) -> None:
    slots, reply = await validate(domain_dict, "thôi", requested="edit_field", candidates={"edit_field": "thôi"},
                                  slots={**FILLED, "editing": True}, intent="stop")
    assert slots["editing"] is False and slots["requested_slot"] == "confirmed"
    assert "Đã hủy" not in reply and "matter" not in slots


async def test_a_long_new_matter_replaces_the_draft_even_if_it_sounds_negative(domain_dict: dict) -> None:
    draft = "Đèn đường ở khu phố 2 hỏng cả tháng nay, ban đêm rất tối và nguy hiểm cho người đi đường"
    typed = "Không có nước sạch để dùng cả tháng nay, đề nghị kiểm tra đường ống"
    slots, _ = await validate(domain_dict, typed, requested="matter", candidates={"matter": typed},
                              slots={"consent": True, "matter_draft": draft}, intent="deny")
    assert slots["matter"] == typed and slots["matter_draft"] is None
