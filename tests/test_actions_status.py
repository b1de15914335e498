"""action_check_status in process: the owner, or someone with the filing phone, sees the status; nobody else."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.petition_submit import ActionSubmitPetition
from actions.status import ActionCheckStatus, phone_from_message
from tests.dialogue_helpers import CODE_RE
from tests.fixtures_dialogue import action_services, domain_dict, make_tracker, texts_of  # noqa: F401
from tests.test_actions_submit import confirmed_slots

OWNER = "zalo-owner-1"


@pytest.fixture(scope="module")
def filed_code(action_services: Any, domain_dict: dict) -> str:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Xác nhận", intent="affirm", sender_id=OWNER,
                           slots=confirmed_slots(matter="Trường tiểu học ấp 2 thu thêm nhiều khoản ngoài quy định "
                                                        "của nhà nước, phụ huynh rất bức xúc", phone="+84912000111"))
    asyncio.run(ActionSubmitPetition().run(dispatcher, tracker, domain_dict))
    return CODE_RE.search(texts_of(dispatcher)).group(0)


async def ask(domain: dict, text: str, sender: str, code_entity: str | None = None) -> str:
    entities = [{"entity": "code", "value": code_entity}] if code_entity else []
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(
        dispatcher, make_tracker(text, intent="check_status", entities=entities, sender_id=sender), domain
    )
    return texts_of(dispatcher)


async def test_the_owner_sees_status_agency_and_dates(domain_dict: dict, filed_code: str) -> None:
    reply = await ask(domain_dict, f"hồ sơ {filed_code} sao rồi", OWNER, code_entity=filed_code)
    assert filed_code in reply
    for label in ("Tình trạng: Đã tiếp nhận", "Cơ quan giải quyết", "Ngày tiếp nhận", "Hạn giải quyết"):
        assert label in reply


async def test_the_owner_gets_the_answer_once_an_operator_gave_one(
    action_services: Any, domain_dict: dict, filed_code: str
) -> None:
    action_services.store.set_answer(filed_code, "Nhà trường đã hoàn trả các khoản thu sai quy định.", "can-bo-1")
    reply = await ask(domain_dict, filed_code.lower().replace("-", ""), OWNER)
    assert "Đã trả lời" in reply and "Nhà trường đã hoàn trả" in reply


async def test_a_stranger_learns_nothing(domain_dict: dict, filed_code: str) -> None:
    reply = await ask(domain_dict, f"tra cứu {filed_code}", "someone-else", code_entity=filed_code)
    assert "không tìm thấy" in reply.lower() and "Tình trạng" not in reply and "Trường" not in reply


async def test_a_stranger_with_the_filing_phone_sees_it(domain_dict: dict, filed_code: str) -> None:
    reply = await ask(domain_dict, f"{filed_code} 0912 000 111", "family-member", code_entity=filed_code)
    assert "Tình trạng" in reply
    reply = await ask(domain_dict, f"{filed_code} 0912 000 112", "family-member", code_entity=filed_code)
    assert "Tình trạng" not in reply


async def test_a_code_with_a_wrong_check_symbol_is_caught(domain_dict: dict) -> None:
    reply = await ask(domain_dict, "tra cứu TN-7K4Q-MX2Q", OWNER, code_entity="TN-7K4Q-MX2Q")
    assert "chưa đúng" in reply


async def test_without_a_code_the_citizen_is_asked_for_it(domain_dict: dict) -> None:
    reply = await ask(domain_dict, "đơn của tôi đến đâu rồi", OWNER)
    assert "TN-XXXX-XXXX" in reply and "mã tra cứu" in reply



def test_a_phone_typed_right_after_a_code_ending_in_a_digit_is_found() -> None:
    # "TN-483T-SSR5 0912000111" must not be read as the number "5 0912000111".
    assert phone_from_message("TN-483T-SSR5 0912000111") == "+84912000111"
    assert phone_from_message("mã TN-483T-SSR5, sđt 0912.000.111 ạ") == "+84912000111"
    assert phone_from_message("TN-483T-SSR5") is None
