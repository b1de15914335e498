"""The petition workflow as the chat uses it: validate, preview, submit once, look up safely."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from petitions import codes
from petitions.consent import CONSENT_TEXT_VI, ConsentRecord
from petitions.service import MSG_BAD_CODE, MSG_NOT_FOUND, PetitionService, classify_kind
from petitions.store import PetitionStore
from petitions.validation import InputError

pytestmark = pytest.mark.slow

ROAD = "Đường liên ấp Bàu Sen hư hỏng nặng, ổ gà khắp nơi, trời mưa học sinh té ngã liên tục, xin sửa chữa sớm."
PHONE = "0912 345 678"


@pytest.fixture
def service(petition_router, communes, deadlines, tmp_path) -> PetitionService:
    store = PetitionStore(f"sqlite:///{tmp_path / 'petitions.db'}")
    store.migrate()
    yield PetitionService(store, petition_router, communes, deadlines)
    store.close()


def _yes() -> ConsentRecord:
    return ConsentRecord(given=True, text_shown=CONSENT_TEXT_VI, at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC))


def test_full_petition_gets_a_code_and_its_owner_sees_the_status(service: PetitionService) -> None:
    commune = service.check_commune("xa hao duoc")
    phone = service.check_phone(PHONE)
    draft = service.preview(ROAD, commune)
    assert draft.route.agency == "so-xay-dung"
    assert "Sở Xây dựng" in draft.summary_vi(phone) and "xã Hảo Đước" in draft.summary_vi(phone)
    receipt = service.submit(channel="telegram", sender_id="telegram:42", text=ROAD, consent=_yes(),
                             idempotency_key="telegram:42:msg-1", commune=commune, phone=phone, route=draft.route,
                             received=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert receipt.created and codes.validate(receipt.code)
    assert receipt.agency == "so-xay-dung" and receipt.kind == "phan-anh-kien-nghi"
    assert receipt.due_date == service.deadlines.due_date("phan-anh-kien-nghi", date(2026, 11, 25))
    assert receipt.code in receipt.message_vi()

    view = service.status(receipt.code, "telegram:42")
    assert view is not None and view.status_label == "Đã tiếp nhận"
    message = service.status_message(f"cho tôi hỏi mã {receipt.code.lower()}", "telegram:42")
    assert "Sở Xây dựng" in message and "Đã tiếp nhận" in message

    stored = service.store.get_by_code(receipt.code)
    assert stored.contact_phone == "+84912345678" and stored.commune_code == "xa-hao-duoc"
    assert stored.consent_text == CONSENT_TEXT_VI and stored.consent_at == _yes().at


def test_strangers_get_nothing_unless_they_know_the_filing_phone(service: PetitionService) -> None:
    receipt = service.submit(channel="zalo", sender_id="zalo:1", text=ROAD, consent=_yes(),
                             idempotency_key="zalo:1:m1", commune="Hảo Đước", phone=PHONE)
    assert service.status(receipt.code, "zalo:2") is None
    assert service.status_message(receipt.code, "zalo:2") == MSG_NOT_FOUND
    assert service.status(receipt.code, "zalo:2", phone="+84912345678") is not None
    typo = receipt.code[:-1] + ("3" if receipt.code[-1] != "3" else "4")  # one wrong character
    assert service.status_message(typo, "zalo:1") == MSG_BAD_CODE
    unknown = codes.new_code()
    assert service.status_message(unknown, "zalo:1") == MSG_NOT_FOUND  # same words as someone else's code


def test_the_same_message_delivered_twice_files_one_petition(service: PetitionService) -> None:
    kwargs = dict(channel="rest", sender_id="web:abc", text=ROAD, consent=_yes(), idempotency_key="web:abc:77",
                  commune="Tân Ninh")
    first = service.submit(**kwargs)
    second = service.submit(**kwargs)
    assert first.created and not second.created and first.code == second.code
    assert service.store.count() == 1
    # a channel without message ids: the content key makes a repeated confirmation file nothing new
    key = service.content_key("web:abc", ROAD, "Tân Ninh")
    assert key == service.content_key("web:abc", "  " + ROAD.upper() + " ", "tan ninh")
    assert key != service.content_key("web:other", ROAD, "Tân Ninh")
    third = service.submit(**{**kwargs, "idempotency_key": key})
    fourth = service.submit(**{**kwargs, "idempotency_key": key})
    assert third.created and fourth.code == third.code and service.store.count() == 2


def test_anonymous_petition_without_contact_data(service: PetitionService) -> None:
    consent = ConsentRecord.now(False)
    assert service.check_phone("không") is None
    with pytest.raises(InputError) as info:
        service.check_phone(PHONE, consent_given=False)
    assert "ẩn danh" in info.value.message
    with pytest.raises(InputError):
        service.submit(channel="rest", sender_id="web:x", text=ROAD, consent=consent, idempotency_key="k",
                       phone=PHONE)
    receipt = service.submit(channel="rest", sender_id="web:x", text=ROAD, consent=consent, idempotency_key="k")
    stored = service.store.get_by_code(receipt.code)
    assert stored.sender_id is None and stored.contact_phone is None and stored.consent_text is None
    assert service.status(receipt.code, "web:x") is not None  # the same chat still follows it


def test_commune_matters_go_to_the_citizens_commune(service: PetitionService) -> None:
    text = "Nhà hàng xóm thả chó cắn gà nhà tôi nhiều lần, nói không nghe, xin ấp mời hai bên lên hòa giải."
    receipt = service.submit(channel="rest", sender_id="web:y", text=text, consent=_yes(), idempotency_key="y1",
                             commune="phuong long hoa")
    assert receipt.agency == "ubnd-cap-xa"
    assert receipt.agency_display == "UBND phường Long Hoa"
    unknown = service.submit(channel="rest", sender_id="web:y", text=text, consent=_yes(), idempotency_key="y2",
                             commune="ấp Cây Xoài Ba Nhánh")
    assert "Cây Xoài Ba Nhánh" in unknown.agency_display and not unknown.commune_matched
    assert service.store.get_by_code(unknown.code).commune_name == "ấp Cây Xoài Ba Nhánh"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ngắn quá",
        "😡" * 40,
        "x" * 100_000,
        b"\xc3\x28 broken utf-8 bytes from the channel",
        "hư đường\x00 ở ấp 3 xin sửa",
    ],
)
def test_bad_input_gets_a_vietnamese_message_and_stores_nothing(service: PetitionService, bad) -> None:
    with pytest.raises(InputError) as info:
        service.check_matter(bad)
    assert info.value.message.startswith(("Bạn", "Nội dung", "Tin nhắn"))
    with pytest.raises(InputError):
        service.submit(channel="rest", sender_id="web:z", text=bad, consent=_yes(), idempotency_key="z")
    assert service.store.count() == 0


def test_html_in_a_petition_is_stored_as_plain_text(service: PetitionService) -> None:
    receipt = service.submit(channel="rest", sender_id="web:h", consent=_yes(), idempotency_key="h",
                             text='<script>alert("x")</script><b>Đèn đường</b> hẻm 5 hư cả tháng, tối om')
    assert service.store.get_by_code(receipt.code).text == "Đèn đường hẻm 5 hư cả tháng, tối om"


def test_consent_needs_a_clear_yes_or_no(service: PetitionService) -> None:
    assert service.check_consent("Đồng ý") is True
    assert service.check_consent("không") is False
    with pytest.raises(InputError):
        service.check_consent("để tôi suy nghĩ")


def test_no_personal_data_reaches_the_logs(service: PetitionService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = service.submit(channel="telegram", sender_id="telegram:secret-id-9", text=ROAD, consent=_yes(),
                             idempotency_key="telegram:secret-id-9:1", commune="Hảo Đước", phone=PHONE)
    service.status(receipt.code, "telegram:secret-id-9")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert receipt.code in logged  # codes are fine to log
    for secret in ("912345678", "345 678", "secret-id-9", "Bàu Sen", "ổ gà"):
        assert secret not in logged


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Tôi khiếu nại quyết định xử phạt của xã", "khieu-nai"),
        ("toi to cao can bo xa nhan hoi lo", "to-cao"),
        ("Tôi tố cáo và khiếu nại việc này", "to-cao"),
        ("Nhà to cao che hết nắng nhà tôi", "phan-anh-kien-nghi"),
        ("Đường hư, xin sửa", "phan-anh-kien-nghi"),
    ],
)
def test_kind_follows_the_words_used(text: str, kind: str) -> None:
    assert classify_kind(text) == kind
