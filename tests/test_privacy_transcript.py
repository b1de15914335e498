"""The petition page's transcript shows that petition's own conversation, and a denouncer's identity only to the
agency handling the denunciation.

One chat files A with Sở Y tế, starts a tố cáo and cancels it, then files B with Sở Xây dựng: the Sở Xây dựng
operator reading B must see nothing of A or of the cancelled tố cáo. The tracker database is written row by row as
Rasa's SQLTrackerStore writes it (`action_name` is the event's "name", `intent_name` the parsed intent); the same
story through the real Rasa and action servers is in tests/test_privacy_redaction.py.
"""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fixtures_console import AGENCY_A, AGENCY_B, console_env  # noqa: F401 - fixtures

SENDER = "telegram:4242"
CONSENT_BUTTONS = [{"title": "Đồng ý", "payload": "/affirm"}, {"title": "Không, gửi ẩn danh", "payload": "/anonymous"}]
SUMMARY_BUTTONS = [{"title": "Xác nhận", "payload": "/affirm"}, {"title": "Sửa", "payload": "/edit_petition"},
                   {"title": "Hủy", "payload": "/stop"}]
TEXT_A = "Tôi nằm viện 5 ngày có bảo hiểm y tế đúng tuyến nhưng ra viện vẫn phải trả thêm gần 4 triệu đồng."
PHONE_A = ("0912 345 678", "+84912345678")
TEXT_DENUNCIATION = "Tôi tố cáo ông Trần Văn Tâm, cán bộ địa chính, nhận tiền của dân để làm sổ đỏ nhanh."
PHONE_DENUNCIATION = ("0987 654 321", "+84987654321")
TEXT_B = "Công trình nhà phố ở khu phố 2 được cấp phép 3 tầng nhưng chủ nhà đang xây lên tầng 5."
PHONE_B = ("0903 111 222", "+84903111222")


class RasaEvents:
    """Appends events to a tracker database exactly as rasa.core.tracker_store.SQLTrackerStore.save does."""

    def __init__(self, path: Path, sender: str, start: datetime) -> None:
        self.path, self.sender, self.clock = path, sender, start.timestamp()

    def add(self, event: dict[str, Any]) -> None:
        self.clock += 0.5
        data = {**event, "timestamp": self.clock}
        intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
        with sqlite3.connect(self.path) as db:
            db.execute("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (self.sender, data["event"], self.clock, intent, data.get("name"), json.dumps(data)))

    def user(self, text: str, intent: str = "inform") -> None:
        parse = {"intent": {"name": intent, "confidence": 0.99}, "entities": [], "text": text, "message_id": "m"}
        self.add({"event": "user", "text": text, "parse_data": parse, "input_channel": "rest", "message_id": "m",
                  "metadata": {"channel": "telegram"}})

    def bot(self, text: str | None, buttons: list[dict[str, str]] | None = None) -> None:
        self.add({"event": "bot", "text": text, "data": {"buttons": buttons, "elements": None}, "metadata": {}})

    def action(self, name: str) -> None:
        self.add({"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0})

    def slot(self, name: str, value: Any) -> None:
        self.add({"event": "slot", "name": name, "value": value})

    def loop(self, name: str | None) -> None:
        self.add({"event": "active_loop", "name": name})

    def turn(self, text: str, *, slots: dict[str, Any], reply: str, buttons: list[dict[str, str]] | None = None,
             intent: str = "inform") -> None:
        self.user(text, intent)
        self.action("petition_form")
        for name, value in slots.items():
            self.slot(name, value)
        self.bot(reply, buttons)
        self.action("action_listen")

    def petition(self, matter: str, phone: tuple[str, str], *, confirm: str | None, receipt: str = "") -> None:
        """One petition form: opened by a typed request, consent by button, then matter, commune, phone, summary;
        confirmed by button (with `receipt` as the bot's answer) or cancelled with "hủy"."""
        self.user("tôi muốn gửi phản ánh", "file_petition")
        self.action("petition_form")
        self.loop("petition_form")
        self.slot("requested_slot", "consent")
        self.bot("Để chuyển phản ánh đến cơ quan có thẩm quyền (Luật 91/2025/QH15)…", CONSENT_BUTTONS)
        self.action("action_listen")
        self.turn("/affirm", intent="affirm", slots={"consent": True, "consent_at": "2026-12-06T08:00:00+00:00"},
                  reply="Bạn hãy mô tả nội dung phản ánh.")
        self.turn(matter, slots={"matter": matter}, reply="Việc này xảy ra ở xã, phường nào?")
        self.turn("phường Tân Ninh", slots={"commune": "Tân Ninh", "commune_code": "phuong-tan-ninh"},
                  reply="Bạn để lại số điện thoại để cơ quan liên hệ?")
        self.turn(phone[0], slots={"phone": phone[1]},
                  reply=f"Nội dung: {matter}\nSố điện thoại: {phone[0]}\nChuyển đến: …", buttons=SUMMARY_BUTTONS)
        if confirm is None:
            self.user("hủy", "stop")
            self.action("action_cancel_petition")
            self.bot("Đã hủy phản ánh.")
            self.loop(None)
            self.action("action_listen")
            return
        self.user(confirm, "affirm")
        self.action("petition_form")
        self.slot("confirmed", "yes")
        self.loop(None)
        self.slot("requested_slot", None)
        self.action("action_submit_petition")
        self.bot(receipt)
        self.action("action_listen")


def _transcript_html(html: str) -> str:
    section = re.search(r'<section class="card" aria-labelledby="h-chat">(.*?)</section>', html, re.DOTALL)
    assert section, "the page has no transcript section"
    return section.group(1)


def test_the_other_agency_sees_only_its_own_petitions_conversation(console_env) -> None:  # noqa: F811
    """Filed A (Sở Y tế), cancelled a tố cáo, filed B (Sở Xây dựng): B's page shows B's form and nothing else."""
    record_a = console_env.petition(TEXT_A, agency=AGENCY_B, sender_id=SENDER, phone=PHONE_A[1])
    record_b = console_env.petition(TEXT_B, agency=AGENCY_A, sender_id=SENDER, phone=PHONE_B[1])
    chat = RasaEvents(console_env.tracker_path, SENDER, record_b.created_at - timedelta(minutes=40))
    chat.action("action_session_start")
    chat.add({"event": "session_started"})
    chat.action("action_listen")
    chat.petition(TEXT_A, PHONE_A, confirm="/affirm", receipt=f"Đã tiếp nhận phản ánh của bạn. Mã tra cứu: "
                                                              f"{record_a.code}\nChuyển đến: Sở Y tế.")
    chat.petition(TEXT_DENUNCIATION, PHONE_DENUNCIATION, confirm=None)
    chat.user("Dân vận khéo là gì?", "ask_policy")
    chat.action("action_answer_question")
    chat.bot("Dân vận khéo là phong trào thi đua…")
    chat.action("action_listen")
    chat.petition(TEXT_B, PHONE_B, confirm="/affirm", receipt=f"Đã tiếp nhận phản ánh của bạn. Mã tra cứu: "
                                                              f"{record_b.code}\nChuyển đến: Sở Xây dựng.")
    chat.user("cảm ơn", "thanks")  # after the receipt: not part of B either
    chat.bot("Không có gì, chúc bạn một ngày tốt lành.")

    client = console_env.client()
    console_env.login(client, "op-a")
    assert client.get(f"/console/p/{record_a.code}").status_code == 404
    page = client.get(f"/console/p/{record_b.code}")
    assert page.status_code == 200
    html, transcript = page.text, _transcript_html(page.text)

    for leaked in (TEXT_A, *PHONE_A, record_a.code, TEXT_DENUNCIATION, "Trần Văn Tâm", *PHONE_DENUNCIATION,
                   "Dân vận khéo", "cảm ơn"):
        assert leaked not in html, f"B's page shows {leaked!r}"
    assert "tôi muốn gửi phản ánh" in transcript and TEXT_B in transcript and PHONE_B[0] in transcript
    assert record_b.code in transcript  # the receipt closes the window
    assert "Đồng ý" in transcript and "Xác nhận" in transcript  # button presses by their titles
    assert "/affirm" not in html and "/edit_petition" not in html and "/stop" not in html
    assert "Không tìm thấy đoạn trò chuyện" not in transcript


def test_without_the_forms_start_only_the_petition_text_is_shown(console_env) -> None:  # noqa: F811
    record = console_env.petition(TEXT_B, sender_id=SENDER, phone=PHONE_B[1])
    chat = RasaEvents(console_env.tracker_path, SENDER, record.created_at - timedelta(minutes=5))
    chat.user(TEXT_A)  # a chat whose form events are missing (older Rasa data, or a purged session)
    chat.bot(f"Mã tra cứu: {record.code}")

    client = console_env.client()
    console_env.login(client, "op-a")
    transcript = _transcript_html(client.get(f"/console/p/{record.code}").text)
    assert "Không tìm thấy đoạn trò chuyện lập hồ sơ này" in transcript
    assert TEXT_B in transcript and TEXT_A not in transcript


def _denunciation(env) -> Any:
    record = env.petition(TEXT_DENUNCIATION, kind="to-cao", agency=AGENCY_A, sender_id=SENDER,
                          phone=PHONE_DENUNCIATION[1])
    chat = RasaEvents(env.tracker_path, SENDER, record.created_at - timedelta(minutes=5))
    chat.petition(TEXT_DENUNCIATION, PHONE_DENUNCIATION, confirm="/affirm", receipt=f"Mã tra cứu: {record.code}")
    env.add_user("admin-b", "admin", AGENCY_B)
    env.add_user("admin-a", "admin", AGENCY_A)
    return record


def test_a_denouncers_identity_is_hidden_from_admins_of_other_agencies(console_env) -> None:  # noqa: F811
    record = _denunciation(console_env)
    for username in ("admin", "admin-b"):  # no agency; another agency
        client = console_env.client()
        console_env.login(client, username)
        page = client.get(f"/console/p/{record.code}")
        assert page.status_code == 200, username
        assert TEXT_DENUNCIATION in page.text  # the matter itself is not the denouncer's identity
        for identity in (*PHONE_DENUNCIATION, SENDER, "tôi muốn gửi phản ánh"):
            assert identity not in page.text, f"{username} sees {identity!r}"
        assert "danh tính người tố cáo" in page.text


def test_the_handling_agency_sees_the_denouncer(console_env) -> None:  # noqa: F811
    record = _denunciation(console_env)
    for username in ("op-a", "admin-a"):
        client = console_env.client()
        console_env.login(client, username)
        page = client.get(f"/console/p/{record.code}").text
        assert PHONE_DENUNCIATION[1] in page and "tôi muốn gửi phản ánh" in _transcript_html(page), username


def test_other_petitions_still_show_their_contact_to_any_admin(console_env) -> None:  # noqa: F811
    record = console_env.petition(TEXT_B, sender_id=SENDER, phone=PHONE_B[1])
    client = console_env.client()
    console_env.login(client, "admin")
    assert PHONE_B[1] in client.get(f"/console/p/{record.code}").text


def test_a_later_status_lookup_is_not_part_of_the_window(console_env) -> None:  # noqa: F811
    """The window ends at the first reply showing the code, not at a later status answer quoting it."""
    first = console_env.petition(TEXT_B, sender_id=SENDER, phone=PHONE_B[1])
    chat = RasaEvents(console_env.tracker_path, SENDER, datetime.now(UTC) - timedelta(minutes=10))
    chat.petition(TEXT_B, PHONE_B, confirm="Xác nhận", receipt=f"Mã tra cứu: {first.code}")
    chat.user(f"tra cứu {first.code}", "check_status")
    chat.bot(f"Phản ánh mã {first.code}: đang xử lý")
    client = console_env.client()
    console_env.login(client, "op-a")
    transcript = _transcript_html(client.get(f"/console/p/{first.code}").text)
    assert "Xác nhận" in transcript and "đang xử lý" not in transcript
