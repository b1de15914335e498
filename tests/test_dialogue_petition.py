"""Dân bàn end to end: a citizen files a petition through the real Rasa REST channel and the action server."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dialogue_helpers import CODE_RE, Conversation, buttons, joined

pytestmark = pytest.mark.e2e

MATTER = (
    "Đường vào ấp Bàu Sen bị sụt lún nặng sau đợt mưa vừa rồi, xe máy đi lại rất nguy hiểm, "
    "đã có người bị ngã. Đề nghị sửa chữa sớm."
)


@pytest.fixture(scope="module")
def store(rasa_stack: Any) -> Iterator[Any]:
    """The petitions store the running action server writes to, opened read-side by the test."""
    from petitions.store import PetitionStore

    store = PetitionStore(rasa_stack.settings.petitions_url)
    yield store
    store.close()


def test_full_petition_with_diacritics_is_stored_with_consent_contact_and_due_date(rasa_stack: Any, store: Any) -> None:
    from actions.petition_form import CONSENT_RECORD_TEXT
    from petitions.consent import CONSENT_TEXT_VI

    conv = Conversation(rasa_stack)
    first = conv.say("Tôi muốn gửi phản ánh")
    assert {b["title"] for b in buttons(first)} >= {"Đồng ý"}, conv.transcript()
    reply = conv.says("Đồng ý")
    assert "nội dung" in reply.lower(), conv.transcript()
    assert "xã, phường" in conv.says(MATTER).lower(), conv.transcript()
    assert "số điện thoại" in conv.says("xã Tân Châu").lower(), conv.transcript()
    summary = conv.say("0912.345.678")
    text = joined(summary)
    assert "xã Tân Châu" in text and "0912 345 678" in text and "Chuyển đến" in text, conv.transcript()
    assert [b["title"] for b in buttons(summary)] == ["Xác nhận", "Sửa", "Hủy"]
    receipt = conv.says("Xác nhận")
    match = CODE_RE.search(receipt)
    assert match and "Hạn giải quyết" in receipt, conv.transcript()
    code = match.group(0)

    record = store.get_by_code(code)
    assert record is not None
    assert record.text == MATTER
    # What was agreed to is recorded: the prompt shown and the legal text behind its "Xem chi tiết" button.
    assert record.consent_given and record.consent_text == CONSENT_RECORD_TEXT and record.consent_at is not None
    assert CONSENT_TEXT_VI in record.consent_text
    assert record.contact_phone == "+84912345678"
    assert record.commune_matched and "Tân Châu" in (record.commune_name or "")
    assert record.due_date is not None and record.status == "moi"
    # The agency on the receipt is the one the citizen saw on the summary.
    assert _agency_line(receipt) == _agency_line(text) != ""


def _agency_line(text: str) -> str:
    return next((line.split("huyển đến:", 1)[1].strip(" .") for line in text.splitlines() if "huyển đến:" in line), "")


def test_anonymous_petition_typed_without_diacritics(rasa_stack: Any, store: Any) -> None:
    conv = Conversation(rasa_stack)
    assert "91/2025/QH15" in conv.says("toi muon gui phan anh"), conv.transcript()
    reply = conv.says("khong")  # a bare "no": file anonymously, or not at all?
    assert "ẩn danh" in reply and "không gửi nữa" in reply, conv.transcript()
    reply = conv.says("gui an danh")
    assert "ẩn danh" in reply and "nội dung" in reply.lower(), conv.transcript()
    assert "xã, phường" in conv.says(
        "cong ty may o khu cong nghiep no luong cong nhan ba thang nay chua tra, de nghi can thiep"
    ).lower(), conv.transcript()
    summary = conv.says("phuong trang bang")  # no phone question for an anonymous petition
    assert "phường Trảng Bàng" in summary and "ẩn danh" in summary, conv.transcript()
    code = CODE_RE.search(conv.says("xac nhan"))
    assert code, conv.transcript()

    record = store.get_by_code(code.group(0))
    assert not record.consent_given
    assert record.contact_phone is None and record.sender_id is None
    assert record.commune_matched and "Trảng Bàng" in record.commune_name


def test_cancel_midway_stores_nothing_and_leaves_the_form(rasa_stack: Any, store: Any) -> None:
    before = store.count()
    conv = Conversation(rasa_stack)
    conv.says("cho tôi phản ánh với")
    conv.says("đồng ý")
    conv.says(MATTER)
    reply = conv.says("hủy")
    assert "Đã hủy" in reply, conv.transcript()
    assert store.count() == before
    # The form is gone: the next message is understood on its own, not taken as a commune.
    assert "Xin chào" in conv.says("xin chào"), conv.transcript()
    # A new petition starts from scratch: the earlier matter is not carried over.
    assert "91/2025/QH15" in conv.says("tôi muốn gửi phản ánh"), conv.transcript()
    assert "nội dung" in conv.says("đồng ý").lower(), conv.transcript()


def test_cancel_on_the_summary_with_the_button(rasa_stack: Any, store: Any) -> None:
    before = store.count()
    conv = Conversation(rasa_stack)
    conv.says("gửi kiến nghị")
    conv.says("/anonymous")
    conv.says("Đèn đường ở khu phố 2 hỏng cả tháng nay, ban đêm rất tối và nguy hiểm")
    assert "huyển đến" in conv.says("phường Tân Ninh"), conv.transcript()
    assert "Đã hủy" in conv.says("/stop"), conv.transcript()
    assert store.count() == before


def test_edit_the_commune_from_the_summary(rasa_stack: Any, store: Any) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn kiến nghị")
    conv.says("đồng ý")
    conv.says("Hàng xóm xây tường lấn sang đất nhà tôi gần một mét, đã báo ấp nhưng chưa được giải quyết")
    conv.says("xã Tân Biên")
    assert "huyển đến" in conv.says("không để lại số"), conv.transcript()
    assert "sửa mục nào" in conv.says("Sửa"), conv.transcript()
    assert "xã, phường" in conv.says("xã phường").lower(), conv.transcript()
    summary = conv.says("phường Hòa Thành")
    assert "phường Hòa Thành" in summary and "Tân Biên" not in summary, conv.transcript()
    code = CODE_RE.search(conv.says("Xác nhận"))
    assert code, conv.transcript()
    record = store.get_by_code(code.group(0))
    assert "Hòa Thành" in record.commune_name and record.contact_phone is None


def test_unknown_commune_is_asked_once_more_then_kept_as_typed_and_flagged(rasa_stack: Any, store: Any) -> None:
    conv = Conversation(rasa_stack)
    conv.says("phản ánh")
    conv.says("đồng ý")
    conv.says("Trạm bơm nước của hợp tác xã hư hỏng, ruộng lúa thiếu nước tưới cả tuần nay")
    reply = conv.says("ấp Cây Xoài Đôi")
    assert "nhập lại" in reply and "số điện thoại" not in reply.lower(), conv.transcript()
    reply = conv.says("ấp Cây Xoài Đôi")
    assert "Cây Xoài Đôi" in reply and "số điện thoại" in reply.lower(), conv.transcript()
    summary = conv.says("0276 3812 345")
    assert "cán bộ sẽ kiểm tra lại" in summary, conv.transcript()
    code = CODE_RE.search(conv.says("Xác nhận"))
    record = store.get_by_code(code.group(0))
    assert record.commune_name == "ấp Cây Xoài Đôi" and not record.commune_matched


def test_a_redelivered_confirmation_creates_one_petition(rasa_stack: Any, store: Any) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    conv.says("Nhà máy chế biến mì xả nước thải ra kênh, mùi hôi thối suốt đêm, cá chết hàng loạt")
    conv.says("xã Tân Châu")
    assert "huyển đến" in conv.says("không"), conv.transcript()
    before = store.count()
    # A channel bridge retries the same message (same channel message id) while the first is still processed.
    results: list[str] = []

    def deliver() -> None:
        results.append(joined(rasa_stack.send(conv.sender, "Xác nhận", metadata={"message_id": "tg-42"})))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == before + 1
    codes = {m.group(0) for r in results for m in CODE_RE.finditer(r)}
    assert len(codes) == 1, results
