"""What the tracker store keeps: a cancelled petition's text and phone are blanked, old chat events are purged.

Unit tests write events in Rasa's own `events` schema on SQLite and PostgreSQL; the end-to-end tests talk to the real
Rasa server and action server (tests/stack.py) and then read the tracker database Rasa wrote.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from petitions.tracker_privacy import REDACTED, EventRow, engine_url, form_window_start, redact_form_window
from tests.dialogue_helpers import CODE_RE, Conversation

MATTER = ("Cống thoát nước trước chợ Long Hoa bị nghẹt hơn một tháng, nước thải tràn ra đường "
          "gây mùi hôi, đề nghị nạo vét sớm.")
PHONE = ("0913 579 246", "0913579246", "913579246", "+84913579246")
_METADATA = sa.MetaData()
# The table exactly as rasa.core.tracker_store.SQLTrackerStore.SQLEvent declares it.
EVENTS = sa.Table(
    "events", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def _write(engine: sa.Engine, sender: str, events: list[dict[str, Any]], start: float) -> None:
    """As SQLTrackerStore.save: intent_name from parse_data, action_name = the event's "name", data as JSON."""
    rows = []
    for i, event in enumerate(events):
        data = {**event, "timestamp": start + i}
        rows.append({"sender_id": sender, "type_name": data["event"], "timestamp": data["timestamp"],
                     "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                     "action_name": data.get("name"), "data": json.dumps(data)})
    with engine.begin() as conn:
        conn.execute(EVENTS.insert(), rows)


def _user(text: str, intent: str = "inform") -> dict[str, Any]:
    return {"event": "user", "text": text, "input_channel": "rest", "message_id": uuid.uuid4().hex,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9},
                           "entities": [{"entity": "phone", "value": PHONE[0]}] if PHONE[0] in text else []}}


def _slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def _action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def _bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"buttons": None}}


def _chat_up_to_the_summary() -> list[dict[str, Any]]:
    """A session with a question, then a petition form up to its summary (the cancel turn is not stored yet)."""
    return [
        _action("action_session_start"), {"event": "session_started"}, _action("action_listen"),
        _user("Dân vận khéo là gì?", "ask_policy"), _action("action_answer_question"), _bot("Dân vận khéo là…"),
        _action("action_listen"),
        _user("tôi muốn gửi phản ánh", "file_petition"), _action("petition_form"),
        {"event": "active_loop", "name": "petition_form"}, _slot("requested_slot", "consent"),
        _bot("Bạn có đồng ý…"), _action("action_listen"),
        _user("đồng ý", "affirm"), _action("petition_form"), _slot("consent", True),
        _slot("consent_at", "2026-12-06T08:00:00+00:00"), _bot("Nội dung?"), _action("action_listen"),
        _user(MATTER), _action("petition_form"), _slot("matter", MATTER), _bot("Xã, phường nào?"),
        _action("action_listen"),
        _user("phường Long Hoa"), _action("petition_form"), _slot("commune", "Long Hoa"),
        _slot("commune_code", "phuong-long-hoa"), _bot("Số điện thoại?"), _action("action_listen"),
        _user(PHONE[0]), _action("petition_form"), _slot("phone", PHONE[3]),
        _bot(f"Nội dung: {MATTER}\nSố điện thoại: {PHONE[0]}"), _action("action_listen"),
    ]


def _dump(engine: sa.Engine, sender: str | None = None) -> list[tuple[int, str]]:
    """(id, everything stored in the row) — data decoded, since Rasa writes non-ASCII text as \\u escapes."""
    query = sa.select(EVENTS).order_by(EVENTS.c.id)
    if sender:
        query = query.where(EVENTS.c.sender_id == sender)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [(r.id, " ".join(str(v) for v in (r.sender_id, r.type_name, r.intent_name, r.action_name))
             + " " + json.dumps(json.loads(r.data), ensure_ascii=False)) for r in rows]


def _leaks(dump: list[tuple[int, str]]) -> list[str]:
    found = []
    for _, row in dump:
        found += [p for p in (MATTER[:40], "Long Hoa", *PHONE) if p in row]
    return found


@pytest.fixture
def tracker_db(store_url: str) -> Iterator[tuple[str, sa.Engine]]:
    """An empty tracker store in Rasa's schema, on SQLite and on PostgreSQL (store_url: tests/fixtures_petitions)."""
    engine = sa.create_engine(engine_url(store_url))
    _METADATA.create_all(engine)
    yield store_url, engine
    engine.dispose()


def test_cancel_redaction_blanks_the_form_in_place_and_nothing_else(tracker_db) -> None:
    url, engine = tracker_db
    start = datetime.now(UTC).timestamp() - 300
    _write(engine, "citizen", _chat_up_to_the_summary(), start)
    _write(engine, "neighbour", [_user(f"{MATTER} {PHONE[0]}")], start)
    before = _dump(engine)

    changed = redact_form_window(url, "citizen", everything=True)

    after = _dump(engine)
    assert [i for i, _ in after] == [i for i, _ in before]  # updated in place: Rasa counts the stored rows
    assert changed > 0 and _leaks(_dump(engine, "citizen")) == []
    assert "Dân vận khéo là gì?" in " ".join(row for _, row in after)  # before the form: not the petition's
    assert _leaks(_dump(engine, "neighbour"))  # another chat is untouched
    assert f'"text": "{REDACTED}"' in " ".join(row for _, row in after)
    assert redact_form_window(url, "citizen", everything=True) == 0  # nothing left to change


def test_after_a_filing_with_consent_only_the_slot_copies_go(tracker_db) -> None:
    url, engine = tracker_db
    _write(engine, "citizen", _chat_up_to_the_summary(), datetime.now(UTC).timestamp() - 300)
    redact_form_window(url, "citizen", everything=False)
    with engine.connect() as conn:
        rows = [EventRow.from_db(r.id, r.type_name, r.action_name, r.timestamp, r.data)
                for r in conn.execute(sa.select(EVENTS).order_by(EVENTS.c.id))]
    slots = {r.name: r.data["value"] for r in rows if r.type_name == "slot"}
    assert {slots[k] for k in ("matter", "phone", "commune", "commune_code", "consent_at")} == {None}
    assert slots["consent"] is True and slots["requested_slot"] == "consent"
    assert MATTER in [r.data.get("text") for r in rows]  # the conversation the handling agency reads stays


def test_a_retry_after_a_failed_submit_belongs_to_the_same_form() -> None:
    opened = {"event": "active_loop", "name": "petition_form"}
    events = [_user("tôi muốn gửi phản ánh"), _action("petition_form"), opened,
              _user(MATTER), _user("Xác nhận"), _action("petition_form"), {"event": "active_loop", "name": None},
              _action("action_submit_petition"), _bot("Xin lỗi, hệ thống lưu trữ đang gặp sự cố…"),
              _action("petition_form"), opened]
    rows = [EventRow(i, e["event"], e.get("name"), None, e) for i, e in enumerate(events)]
    assert form_window_start(rows, len(rows)) == 0
    assert form_window_start(rows[3:], len(rows) - 3) == 1  # only the retry known: from the confirming message


def test_a_missing_tracker_database_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "rasa_tracker.db"
    assert redact_form_window(f"sqlite:///{path}", "citizen") == 0
    assert not path.exists()


# -- the real assistant ----------------------------------------------------------------------------------------


def _file(conv: Conversation, matter: str, phone: str) -> str:
    """File a petition with the consent and confirmation buttons pressed (payloads sent); returns its code."""
    conv.says("tôi muốn gửi phản ánh")
    assert "nội dung" in conv.says("/affirm").lower(), conv.transcript()
    assert "xã, phường" in conv.says(matter).lower(), conv.transcript()
    assert "số điện thoại" in conv.says("phường Tân Ninh").lower(), conv.transcript()
    assert phone in conv.says(phone), conv.transcript()
    match = CODE_RE.search(conv.says("/affirm"))
    assert match, conv.transcript()
    return match.group(0)


@pytest.fixture(scope="module")
def tracker_engine(rasa_stack: Any) -> Iterator[sa.Engine]:
    engine = sa.create_engine(engine_url(rasa_stack.settings.tracker_url))
    yield engine
    engine.dispose()


def _session_rows_match_rasa(rasa_stack: Any, engine: sa.Engine, sender: str) -> None:
    """Rasa's own view of the conversation has exactly the stored rows since the session start (none lost or
    duplicated by the redaction)."""
    settings = rasa_stack.settings
    response = httpx.get(f"{rasa_stack.rasa_url}/conversations/{sender}/tracker",
                         params={"token": settings.rasa_token.get_secret_value()}, timeout=30)
    response.raise_for_status()
    events = response.json()["events"]
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(sa.func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == sender)).scalar()
    assert len(events) == stored


@pytest.mark.e2e
def test_cancel_on_the_summary_leaves_neither_matter_nor_phone_in_the_tracker_store(
        rasa_stack: Any, tracker_engine: sa.Engine) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    conv.says(MATTER)
    conv.says("phường Long Hoa")
    assert "0913 579 246" in conv.says(PHONE[0]), conv.transcript()
    assert "Đã hủy" in conv.says("hủy"), conv.transcript()

    dump = _dump(tracker_engine, conv.sender)
    assert len(dump) > 20 and _leaks(dump) == [], conv.transcript()
    # The conversation goes on normally on the redacted tracker.
    assert "Xin chào" in conv.says("xin chào"), conv.transcript()
    _session_rows_match_rasa(rasa_stack, tracker_engine, conv.sender)


@pytest.mark.e2e
def test_cancel_typed_where_the_commune_is_asked_leaves_no_matter(rasa_stack: Any, tracker_engine: sa.Engine) -> None:
    conv = Conversation(rasa_stack)
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    assert "xã, phường" in conv.says(MATTER).lower(), conv.transcript()
    assert "Đã hủy" in conv.says("hủy"), conv.transcript()
    assert _leaks(_dump(tracker_engine, conv.sender)) == [], conv.transcript()


@pytest.mark.e2e
def test_the_other_agency_reads_only_its_petition_in_a_chat_that_filed_two(
        rasa_stack: Any, tracker_engine: sa.Engine, tmp_path: Path) -> None:
    """One chat: A to Sở Y tế, a tố cáo cancelled, B to Sở Xây dựng; the Sở Xây dựng operator opens B."""
    from console.app import create_console_app
    from console.config import WebConfig
    from petitions.store import PetitionStore
    from tests.fixtures_console import AGENCIES_FILE, PASSWORD, csrf_of

    text_a = ("Tôi nằm viện 5 ngày có bảo hiểm y tế đúng tuyến nhưng khi ra viện vẫn phải trả thêm gần 4 triệu, "
              "bệnh viện không giải thích rõ các khoản ngoài bảo hiểm.")
    text_b = ("Công trình nhà phố ở khu phố 2 được cấp phép 3 tầng nhưng chủ nhà đang xây lên tầng 5, che hết ánh "
              "sáng nhà bên cạnh. Đề nghị kiểm tra trật tự xây dựng.")
    denunciation = "Tôi tố cáo ông Trần Văn Tâm cán bộ địa chính xã nhận tiền của dân để làm sổ đỏ nhanh."
    conv = Conversation(rasa_stack)
    code_a = _file(conv, text_a, "0916 222 333")
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    conv.says(denunciation)
    conv.says("xã Tân Biên")
    assert "0987 654 321" in conv.says("0987 654 321"), conv.transcript()
    assert "Đã hủy" in conv.says("hủy"), conv.transcript()
    code_b = _file(conv, text_b, "0903 111 222")

    store = PetitionStore(rasa_stack.settings.petitions_url)
    try:
        record_a, record_b = store.get_by_code(code_a), store.get_by_code(code_b)
        assert (record_a.agency, record_b.agency) == ("so-y-te", "so-xay-dung"), conv.transcript()
        web = WebConfig(rasa_url="http://127.0.0.1:9", session_secret="test-secret-" + "x" * 32,
                        database_url=store.url, tracker_url=rasa_stack.settings.tracker_url,
                        var_dir=tmp_path / "var", agencies_file=AGENCIES_FILE, petition_store=store)
        app = create_console_app(web)
        app.state.console.ready()
        username = f"xd-{uuid.uuid4().hex[:8]}"
        app.state.console.accounts.add_user(username, PASSWORD, "operator", "so-xay-dung")
        from starlette.testclient import TestClient

        client = TestClient(app, follow_redirects=True)
        login = client.get("/console/login")
        client.post("/console/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": csrf_of(login.text), "next": "/console/"})
        assert client.get(f"/console/p/{code_a}").status_code == 404
        page = client.get(f"/console/p/{code_b}")
    finally:
        store.close()
    assert page.status_code == 200
    html = page.text
    for leaked in (text_a[:40], "0916 222 333", "+84916222333", code_a, "Trần Văn Tâm", "0987 654 321",
                   "+84987654321"):
        assert leaked not in html, f"B's page shows {leaked!r}"
    assert text_b in html and "0903 111 222" in html  # B's own conversation, with its summary
    chat = html.split('aria-labelledby="h-chat"', 1)[1].split("</section>", 1)[0]
    assert "Đồng ý" in chat and "Xác nhận" in chat and "/affirm" not in html  # buttons by their titles
    # After filing with consent the slot copies are blanked; the petition itself is in the petitions store.
    with tracker_engine.connect() as conn:
        phones = conn.execute(sa.select(EVENTS.c.data).where(
            EVENTS.c.sender_id == conv.sender, EVENTS.c.type_name == "slot", EVENTS.c.action_name == "phone")).all()
    assert phones and all(json.loads(d)["value"] is None for (d,) in phones)


# -- retention --------------------------------------------------------------------------------------------------


def test_purge_command_deletes_only_what_rasa_no_longer_reads(tracker_db, monkeypatch, capsys) -> None:
    from danvan.cli import main

    url, engine = tracker_db
    now = datetime.now(UTC)
    old, recent = (now - timedelta(days=40)).timestamp(), (now - timedelta(days=1)).timestamp()
    session = [_action("action_session_start"), {"event": "session_started"}, _action("action_listen")]
    _write(engine, "idle", [*session, _user("cũ")], old)  # idle since before the period: all 4 go
    _write(engine, "back", [*session, _user("phiên cũ")], old)  # an old session (4 go) ...
    _write(engine, "back", [*session, _user("phiên mới")], recent)  # ... then a current one (stays)
    # A current session with recent events stays, except its action_session_start: stamped before the
    # session_started event, it is outside what Rasa reads as the session (rows from that timestamp on) already.
    _write(engine, "long", [*session, _user("mở lâu")], old)
    _write(engine, "long", [_user("vẫn đang nói")], recent)
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.setenv("DANVAN_TRACKER_RETENTION_DAYS", "30")

    assert main(["tracker", "purge", "--dry-run"]) == 0
    assert "Would remove 9 tracker event(s) older than 30 days" in capsys.readouterr().out
    assert main(["tracker", "purge"]) == 0
    assert "Removed 9 tracker event(s) older than 30 days" in capsys.readouterr().out

    with engine.connect() as conn:
        kept = [json.loads(d).get("text") for (d,) in conn.execute(
            sa.select(EVENTS.c.data).where(EVENTS.c.type_name == "user").order_by(EVENTS.c.id))]
    assert kept == ["phiên mới", "mở lâu", "vẫn đang nói"]
    assert main(["tracker", "purge"]) == 0 and "Removed 0 tracker event(s)" in capsys.readouterr().out


def test_purge_without_a_tracker_store_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    from danvan.cli import main

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert main(["tracker", "purge"]) == 0
    assert "nothing to purge" in capsys.readouterr().out and not (tmp_path / "none.db").exists()
