"""The petition page and its actions, as an operator uses them: read, accept, reassign, answer, close, reject."""
from __future__ import annotations

import pytest

from bot.delivery import TelegramDeliveryConfig, build_deliverer
from petitions.outbox import OutboxPolicy
from tests.fixtures_console import (  # noqa: F401 - fixtures
    AGENCY_A,
    AGENCY_B,
    add_tracker_events,
    console_env,
    csrf_of,
    make_console_env,
)
from tests.standins.telegram_api import TelegramStandin

RATING_PROMPT = ("Câu trả lời này đã giải quyết được vấn đề của bạn chưa? Bạn trả lời “đã giải quyết” hoặc "
                 "“chưa giải quyết” (kèm lý do), hoặc chấm điểm từ 1 đến 5.")
ANSWER = ("Sở Xây dựng đã kiểm tra hiện trường và giao đơn vị thi công sửa chữa mặt đường ấp 3 "
          "trước ngày 15/12. Cảm ơn bà con đã phản ánh.")


def _open(env, client, username: str, code: str):
    env.login(client, username)
    return client.get(f"/console/p/{code}")


def test_petition_page_shows_text_routing_transcript_and_history(console_env) -> None:
    record = console_env.petition("Xin hỏi <script>alert('x')</script> đường ấp 3 khi nào sửa?",
                                  sender_id="telegram:777", phone="0912345678")
    add_tracker_events(console_env.tracker_path, "telegram:777", [
        ("user", "tôi muốn gửi phản ánh"), ("bot", "Bà con ở xã, phường nào?"), ("user", "phường Tân Ninh"),
        ("bot", f"Đã tiếp nhận phản ánh của bạn. Mã tra cứu: {record.code}"),
    ], record.created_at, form=True)
    add_tracker_events(console_env.tracker_path, "telegram:778", [("user", "tin nhắn của người khác")],
                       record.created_at)
    client = console_env.client()
    page = _open(console_env, client, "op-a", record.code)
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "Sở Xây dựng" in html and "đường giao thông" in html and "82%" in html
    assert "Bà con ở xã, phường nào?" in html and "phường Tân Ninh" in html
    assert "tin nhắn của người khác" not in html
    assert "+84912345678" in html
    assert "Lịch sử trạng thái" in html and "Đã tiếp nhận" in html


def test_anonymous_petition_says_there_is_no_transcript(console_env) -> None:
    record = console_env.petition(consent=False)
    html = _open(console_env, console_env.client(), "op-a", record.code).text
    assert "Hồ sơ ẩn danh: không lưu định danh trò chuyện." in html


def test_accept_moves_the_petition_and_is_audited(console_env) -> None:
    record = console_env.petition()
    client = console_env.client()
    page = _open(console_env, client, "op-a", record.code)
    response = client.post(f"/console/p/{record.code}/accept", data={"csrf_token": csrf_of(page.text)})
    assert "Đã tiếp nhận xử lý hồ sơ." in response.text
    updated = console_env.get(record.code)
    assert updated.status == "dang-xu-ly"
    assert updated.history[-1].actor == "op-a"
    entry = console_env.app.state.console.audit.entries(target=record.code)[0]
    assert (entry.actor, entry.action) == ("op-a", "accept")
    assert entry.before["status"] == "moi" and entry.after["status"] == "dang-xu-ly"
    assert "Tiếp nhận xử lý" in response.text  # the audit table on the page


def test_reassign_needs_a_reason_and_hands_the_petition_over(console_env) -> None:
    record = console_env.petition()
    client = console_env.client()
    page = _open(console_env, client, "op-a", record.code)
    token = csrf_of(page.text)
    response = client.post(f"/console/p/{record.code}/reassign", data={"csrf_token": token, "agency": AGENCY_B,
                                                                       "reason": "  "})
    assert "Vui lòng ghi rõ lý do chuyển" in response.text
    assert console_env.get(record.code).agency == AGENCY_A

    response = client.post(f"/console/p/{record.code}/reassign", data={
        "csrf_token": token, "agency": AGENCY_B, "reason": "Nội dung về an toàn thực phẩm, thuộc ngành y tế."})
    assert f"Đã chuyển hồ sơ {record.code} sang Sở Y tế." in response.text
    assert response.url.path == "/console/"  # the operator no longer sees it
    assert console_env.get(record.code).agency == AGENCY_B
    assert client.get(f"/console/p/{record.code}").status_code == 404
    entry = console_env.app.state.console.audit.entries(target=record.code)[0]
    assert entry.before["agency"] == AGENCY_A and entry.after["agency"] == AGENCY_B
    assert "an toàn thực phẩm" in entry.after["reason"]
    # The receiving agency's operator now has it, with the reason in its history.
    other = console_env.client()
    html = _open(console_env, other, "op-b", record.code).text
    assert "an toàn thực phẩm" in html


def test_reject_needs_a_reason_and_close_ends_the_petition(console_env) -> None:
    first, second = console_env.petition(), console_env.petition()
    client = console_env.client()
    token = csrf_of(_open(console_env, client, "op-a", first.code).text)
    response = client.post(f"/console/p/{first.code}/reject", data={"csrf_token": token, "reason": ""})
    assert "Vui lòng ghi rõ lý do." in response.text and console_env.get(first.code).status == "moi"
    client.post(f"/console/p/{first.code}/reject", data={"csrf_token": token,
                                                        "reason": "Nội dung không phải phản ánh, kiến nghị."})
    assert console_env.get(first.code).status == "khong-xu-ly"
    assert console_env.get(first.code).history[-1].note == "Nội dung không phải phản ánh, kiến nghị."

    response = client.post(f"/console/p/{second.code}/close", data={"csrf_token": token, "reason": ""})
    assert "Đã kết thúc hồ sơ." in response.text
    assert console_env.get(second.code).status == "da-dong"
    # A closed petition can no longer be answered from the page; a stale form gets a clear refusal.
    response = client.post(f"/console/p/{second.code}/answer", data={"csrf_token": token, "answer": ANSWER})
    assert "Không thể thực hiện thao tác này" in response.text
    assert console_env.get(second.code).answer is None


@pytest.fixture
def telegram():
    with TelegramStandin() as api:
        yield api


def test_answer_is_stored_and_reaches_the_citizen_on_telegram(make_console_env, telegram) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    env = make_console_env(deliverer=deliverer)
    record = env.petition(sender_id="telegram:4242")
    with env.client() as client:
        page = _open(env, client, "op-a", record.code)
        response = client.post(f"/console/p/{record.code}/answer",
                               data={"csrf_token": csrf_of(page.text), "answer": ANSWER})
    assert "Đã lưu câu trả lời và gửi tới người dân." in response.text
    texts = telegram.texts(4242)
    assert len(texts) == 1
    assert ANSWER in texts[0] and record.code in texts[0] and "Sở Xây dựng" in texts[0]
    assert texts[0].endswith(RATING_PROMPT)
    updated = env.get(record.code)
    assert (updated.status, updated.answer, updated.delivery_state) == ("da-tra-loi", ANSWER, "sent")
    actions = [e.action for e in env.app.state.console.audit.entries(target=record.code)]
    assert actions[:2] == ["deliver", "answer"]


def test_a_blocked_chat_is_undeliverable_at_once_and_can_be_sent_again(make_console_env, telegram) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    env = make_console_env(deliverer=deliverer)
    record = env.petition(sender_id="telegram:4343")
    telegram.blocked_chats.add(4343)
    with env.client() as client:
        page = _open(env, client, "op-a", record.code)
        token = csrf_of(page.text)
        response = client.post(f"/console/p/{record.code}/answer", data={"csrf_token": token, "answer": ANSWER})
        assert "không gửi được vào khung trò chuyện" in response.text
        assert "Gửi không thành công" in response.text and "blocked" in response.text
        assert "Không gửi được" in response.text and "1 lần gửi" in response.text  # the notice, not retried
        failed = env.get(record.code)
        assert failed.answer == ANSWER and failed.delivery_state == "failed"
        entry = env.app.state.console.audit.entries(target=record.code)[0]
        assert entry.action == "deliver" and entry.after["ok"] is False

        telegram.blocked_chats.clear()
        response = client.post(f"/console/p/{record.code}/deliver", data={"csrf_token": token})
    assert "Đã lưu câu trả lời và gửi tới người dân." in response.text
    assert env.get(record.code).delivery_state == "sent"
    delivered = [text for _, text in telegram.chat_log(4343)]
    assert len(delivered) == 1 and ANSWER in delivered[0]


def test_answer_to_an_anonymous_petition_is_stored_but_not_sent(make_console_env, telegram) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    env = make_console_env(deliverer=deliverer)
    record = env.petition(consent=False, sender_id="telegram:4444")
    with env.client() as client:
        page = _open(env, client, "op-a", record.code)
        response = client.post(f"/console/p/{record.code}/answer",
                               data={"csrf_token": csrf_of(page.text), "answer": ANSWER})
    assert "Người dân gửi ẩn danh" in response.text
    assert env.get(record.code).answer == ANSWER
    assert telegram.texts() == []


def test_answer_without_a_configured_channel_stays_pending(console_env) -> None:
    record = console_env.petition()
    client = console_env.client()
    page = _open(console_env, client, "op-a", record.code)
    response = client.post(f"/console/p/{record.code}/answer", data={"csrf_token": csrf_of(page.text),
                                                                      "answer": ANSWER})
    assert "đang chờ gửi" in response.text
    assert console_env.get(record.code).delivery_state == "pending"


def test_unknown_code_is_a_vietnamese_404(console_env) -> None:
    client = console_env.client()
    console_env.login(client, "admin")
    response = client.get("/console/p/TN-2222-2222")
    assert response.status_code == 404 and "Không tìm thấy" in response.text


def test_answer_to_a_web_chat_petition_without_a_web_sender_is_kept_for_lookup(make_console_env,
                                                                                telegram) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    env = make_console_env(deliverer=deliverer)
    record = env.petition(channel="web", sender_id="web:abc123")
    with env.client() as client:
        page = _open(env, client, "op-a", record.code)
        response = client.post(f"/console/p/{record.code}/answer",
                               data={"csrf_token": csrf_of(page.text), "answer": ANSWER})
    assert "Người dân vẫn tra cứu được câu trả lời bằng mã hồ sơ." in response.text
    assert "no sender configured for this channel" in response.text
    stored = env.get(record.code)
    assert stored.answer == ANSWER and stored.delivery_state == "failed" and stored.delivery_error
    assert telegram.texts() == []


def test_the_worker_loop_sends_status_notices_and_retries_after_an_outage(make_console_env, telegram) -> None:
    deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token, base_url=telegram.base_url))
    policy = OutboxPolicy(backoff_base_s=0.05, backoff_max_s=0.2, max_attempts=100, lease_s=60, batch=20)
    env = make_console_env(deliverer=deliverer, delivery_retry_s=0.05, extra={"outbox_policy": policy})
    record = env.petition(sender_id="telegram:4545")
    with env.client() as client:
        page = _open(env, client, "op-a", record.code)
        token = csrf_of(page.text)
        client.post(f"/console/p/{record.code}/accept", data={"csrf_token": token})
        accepted = telegram.wait_for_sync(lambda: [t for _, t in telegram.chat_log(4545)], timeout_s=10)
        assert record.code in accepted[0] and "đã được Sở Xây dựng tiếp nhận" in accepted[0]

        telegram.down = True
        response = client.post(f"/console/p/{record.code}/answer", data={"csrf_token": token, "answer": ANSWER})
        assert "Đã lưu câu trả lời" in response.text  # sent by the request or by the loop, whichever claimed it
        telegram.wait_for_sync(lambda: env.get(record.code).delivery_state == "failed", timeout_s=10)
        assert "thử lại lúc" in client.get(f"/console/p/{record.code}").text
        telegram.down = False
        texts = telegram.wait_for_sync(lambda: [t for _, t in telegram.chat_log(4545)][1:], timeout_s=10)
        telegram.wait_for_sync(lambda: env.get(record.code).delivery_state == "sent", timeout_s=10)
    assert len(texts) == 1 and ANSWER in texts[0]
