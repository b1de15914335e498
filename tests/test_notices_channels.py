"""Status notices on Telegram and Zalo, through the project's senders and the outbox, against the local stand-ins.

Zalo: inside the 48-hour window (the bridge saw the citizen write) a free message; outside it an approved ZNS
template to the phone given at filing; without a template the notice ends "undeliverable — check with the code".
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.delivery import TelegramDeliveryConfig, build_deliverer
from bot.sqlite import connect
from bot.zalo_client import record_inbound
from console.agencies import AgencyDirectory
from console.answering import NoticeService, NoticeTexts
from petitions.outbox import Outbox, OutboxPolicy
from petitions.store import NewPetition, PetitionStore
from tests.fixtures_bot import rasa_rest, running_zalo, telegram_api, zalo_api, zalo_config  # noqa: F401
from tests.fixtures_petitions import DATA_DIR
from tests.standins._wait import wait_for_sync
from tests.standins.rasa_rest import RasaRestStandin
from tests.standins.telegram_api import TelegramStandin
from tests.standins.zalo_api import ZaloStandin

FAST = OutboxPolicy(backoff_base_s=0.05, backoff_max_s=0.4, max_attempts=5, lease_s=60, batch=20)
RATING_PROMPT = ("Câu trả lời này đã giải quyết được vấn đề của bạn chưa? Bạn trả lời “đã giải quyết” hoặc "
                 "“chưa giải quyết” (kèm lý do), hoặc chấm điểm từ 1 đến 5.")
ANSWER = "UBND xã đã cho vá mặt đường ấp 3 ngày 05/12. Cảm ơn bạn đã phản ánh."
PHONE = "0912 345 678"
THREE_DAYS_MS = 3 * 86400 * 1000


def _new(sender: str, key: str = "k1") -> NewPetition:
    return NewPetition(
        channel=sender.split(":", 1)[0], sender_id=sender, text="Đường liên ấp 3 hư nặng, ổ gà khắp nơi.",
        agency="so-xay-dung", kind="phan-anh-kien-nghi", idempotency_key=key, consent_given=True,
        consent_text="Đồng ý", consent_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), contact_phone=PHONE,
        commune_name="Hảo Đước", commune_matched=True, commune_code="xa-hao-duoc", topic="đường",
        confidence=0.9, due_date=date(2026, 12, 18),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PetitionStore]:
    s = PetitionStore(f"sqlite:///{tmp_path / 'petitions.db'}")
    s.migrate()
    yield s
    s.close()


def _service(store: PetitionStore, deliverer) -> NoticeService:
    return NoticeService(Outbox(store.engine, FAST), deliverer, AgencyDirectory.load(DATA_DIR / "agencies.yml").name,
                         NoticeTexts.load())


def _notice(service: NoticeService, store: PetitionStore, code: str, event: str):
    petition = store.get_by_code(code)
    return [n for n in service.outbox.for_petition(petition.id) if n.event == event][-1]


# -- Telegram ---------------------------------------------------------------------------------------------------

async def test_every_status_change_reaches_telegram_in_vietnamese(store: PetitionStore,
                                                                   telegram_api: TelegramStandin) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram_api.token,
                                                                base_url=telegram_api.base_url))
    service = _service(store, deliverer)
    code = store.create(_new("telegram:8801")).record.code
    other = store.create(_new("telegram:8802", key="k2")).record.code
    try:
        store.transition(code, "dang-xu-ly", "canbo")
        store.reassign(code, "ubnd-cap-xa", "canbo", "Việc của xã")
        store.set_answer(code, ANSWER, "canbo")
        store.transition(code, "da-dong", "canbo")
        store.transition(other, "khong-xu-ly", "canbo", "Tranh chấp dân sự, thuộc thẩm quyền tòa án")
        assert await service.run_once() == {"sent": 5}
    finally:
        await deliverer.aclose()
    accepted, reassigned, answered, closed = (t for _, t in telegram_api.chat_log(8801))
    assert f"mã {code}" in accepted and "đã được Sở Xây dựng tiếp nhận" in accepted
    assert "đã được chuyển đến UBND xã/phường" in reassigned
    assert ANSWER in answered and answered.endswith(RATING_PROMPT) and "(UBND xã/phường)" in answered
    assert "kết thúc xử lý" in closed
    [rejected] = (t for _, t in telegram_api.chat_log(8802))
    assert "không thuộc diện xử lý" in rejected and "Tranh chấp dân sự" in rejected


# -- Zalo -------------------------------------------------------------------------------------------------------

def _zalo(zalo_api: ZaloStandin, rasa_url: str, state: Path, templates: dict[str, str]):
    return zalo_config(zalo_api, rasa_url, state, zns_base=zalo_api.url, zns_templates=templates)


async def test_zalo_inside_the_window_gets_a_free_message(store: PetitionStore, zalo_api: ZaloStandin,
                                                          rasa_rest: RasaRestStandin, tmp_path: Path) -> None:
    config = _zalo(zalo_api, rasa_rest.url, tmp_path / "zalo", {"accepted": "tpl-accepted"})
    zalo_api.approved_templates.add("tpl-accepted")
    async with running_zalo(config) as bridge:  # the citizen writes to the OA: the bridge notes when
        response = await bridge.post(*zalo_api.make_text_event("8400501", "tôi muốn gửi phản ánh"))
        assert response.status_code == 200
        await zalo_api.wait_for(lambda: rasa_rest.messages("zalo:8400501"), timeout_s=10)
    code = store.create(_new("zalo:8400501")).record.code
    store.transition(code, "dang-xu-ly", "canbo")
    deliverer = build_deliverer(zalo=config)
    try:
        assert await _service(store, deliverer).run_once() == {"sent": 1}
    finally:
        await deliverer.aclose()
    notice_texts = [t for t in zalo_api.texts("8400501") if code in t]
    assert len(notice_texts) == 1 and "đã được Sở Xây dựng tiếp nhận" in notice_texts[0]
    assert zalo_api.zns() == []


async def test_zalo_outside_the_window_sends_the_events_zns_template(store: PetitionStore, zalo_api: ZaloStandin,
                                                                     tmp_path: Path) -> None:
    config = _zalo(zalo_api, "http://127.0.0.1:9", tmp_path / "zalo", {"answered": "tpl-answered"})
    zalo_api.approved_templates.add("tpl-answered")
    three_days_ago = int(time.time() * 1000) - THREE_DAYS_MS
    zalo_api.make_text_event("8400502", "xin chào", timestamp_ms=three_days_ago)  # Zalo's memory of the chat
    conn = connect(config.state_db)
    record_inbound(conn, "8400502", three_days_ago)  # what the bridge recorded when that message came in
    conn.close()
    code = store.create(_new("zalo:8400502")).record.code
    store.set_answer(code, ANSWER, "canbo")
    deliverer = build_deliverer(zalo=config)
    service = _service(store, deliverer)
    try:
        assert await service.run_once() == {"sent": 1}
    finally:
        await deliverer.aclose()
    [zns] = zalo_api.zns("84912345678")
    assert zns["template_id"] == "tpl-answered"
    assert zns["template_data"] == {"code": code, "agency": "Sở Xây dựng", "status": "Đã trả lời"}
    notice = _notice(service, store, code, "answered")
    assert zns["tracking_id"] == f"notice-{notice.id}" and notice.via == "zns"
    assert zalo_api.texts("8400502") == []  # no free message was even tried
    assert store.get_by_code(code).delivery_state == "sent"


async def test_zalo_refusing_with_230_falls_back_to_the_template(store: PetitionStore, zalo_api: ZaloStandin,
                                                                 tmp_path: Path) -> None:
    """This deployment never saw the citizen write (e.g. another bridge instance); Zalo's -230 decides."""
    config = _zalo(zalo_api, "http://127.0.0.1:9", tmp_path / "zalo", {"closed": "tpl-closed"})
    zalo_api.approved_templates.add("tpl-closed")
    zalo_api.make_text_event("8400503", "xin chào", timestamp_ms=int(time.time() * 1000) - THREE_DAYS_MS)
    code = store.create(_new("zalo:8400503")).record.code
    store.transition(code, "da-dong", "canbo")
    deliverer = build_deliverer(zalo=config)
    try:
        assert await _service(store, deliverer).run_once() == {"sent": 1}
    finally:
        await deliverer.aclose()
    [zns] = zalo_api.zns("84912345678")
    assert zns["template_id"] == "tpl-closed" and zns["template_data"]["status"] == "Đã kết thúc"
    assert zalo_api.texts("8400503") == []


async def test_zalo_outside_the_window_without_a_template_says_check_with_the_code(
        store: PetitionStore, zalo_api: ZaloStandin, tmp_path: Path) -> None:
    config = _zalo(zalo_api, "http://127.0.0.1:9", tmp_path / "zalo", {})
    three_days_ago = int(time.time() * 1000) - THREE_DAYS_MS
    conn = connect(config.state_db)
    record_inbound(conn, "8400504", three_days_ago)
    conn.close()
    code = store.create(_new("zalo:8400504")).record.code
    store.set_answer(code, ANSWER, "canbo")
    deliverer = build_deliverer(zalo=config)
    service = _service(store, deliverer)
    try:
        assert await service.run_once() == {"undeliverable": 1}
    finally:
        await deliverer.aclose()
    notice = _notice(service, store, code, "answered")
    assert notice.state == "undeliverable" and "checks with the tracking code" in notice.last_error
    assert "no ZNS template for 'answered'" in store.get_by_code(code).delivery_error
    assert zalo_api.zns() == [] and zalo_api.texts("8400504") == []


async def test_a_zalo_petition_without_a_phone_cannot_use_a_template(store: PetitionStore, zalo_api: ZaloStandin,
                                                                    tmp_path: Path) -> None:
    config = _zalo(zalo_api, "http://127.0.0.1:9", tmp_path / "zalo", {"answered": "tpl-answered"})
    zalo_api.approved_templates.add("tpl-answered")
    conn = connect(config.state_db)
    record_inbound(conn, "8400505", int(time.time() * 1000) - THREE_DAYS_MS)
    conn.close()
    code = store.create(replace(_new("zalo:8400505"), contact_phone=None)).record.code
    store.set_answer(code, ANSWER, "canbo")
    deliverer = build_deliverer(zalo=config)
    service = _service(store, deliverer)
    try:
        assert await service.run_once() == {"undeliverable": 1}
    finally:
        await deliverer.aclose()
    assert "no phone number" in _notice(service, store, code, "answered").last_error
    assert zalo_api.zns() == []


# -- end to end: a Zalo citizen files through the real Rasa stack, an operator acts in the console -------------

@pytest.mark.e2e
async def test_zalo_citizen_hears_of_acceptance_and_answer_end_to_end(zalo_api: ZaloStandin, rasa_stack,
                                                                      tmp_path: Path) -> None:
    from tests.fixtures_console import build_console_env, csrf_of
    from tests.test_channels_e2e import ZaloCitizen, _petition

    config = _zalo(zalo_api, rasa_stack.rasa_url, tmp_path / "zalo", {})
    async with running_zalo(config) as zalo:
        code = await _petition(ZaloCitizen(zalo_api, zalo, "84009101"), consent="đồng ý", phone="0912 345 678")
    before = len(zalo_api.texts("84009101"))
    env = build_console_env(tmp_path / "console", database_url=rasa_stack.settings.petitions_url,
                            deliverer=build_deliverer(zalo=config), delivery_retry_s=0.1)
    env.add_user("admin", "admin", None)
    try:
        with env.client() as client:
            env.login(client, "admin")
            token = csrf_of(client.get(f"/console/p/{code}").text)
            client.post(f"/console/p/{code}/accept", data={"csrf_token": token})
            wait_for_sync(lambda: zalo_api.texts("84009101")[before:], timeout_s=10)  # sent by the worker loop
            response = client.post(f"/console/p/{code}/answer", data={"csrf_token": token, "answer": ANSWER})
            assert "Đã lưu câu trả lời và gửi tới người dân." in response.text
    finally:
        env.store.close()
    notices = zalo_api.texts("84009101")[before:]
    assert len(notices) == 2, notices
    assert "tiếp nhận" in notices[0] and code in notices[0]
    assert ANSWER in notices[1] and notices[1].endswith(RATING_PROMPT)
    assert zalo_api.zns() == []  # inside the 48-hour window: free messages
