"""Issue 14 parts 1, 2 and 4 on the web, over HTTP: the web chat remembers (reload, restart), receives operators'
answers live, forgets on "Xóa cuộc trò chuyện", and a bad cookie only ever starts a fresh chat.

Turns go through the real Rasa and action servers (tests/stack.py); the web app runs in process or, where a stream
must stay open while something else happens, under uvicorn on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner
from starlette.testclient import TestClient

from bot.delivery import DeliveryError
from console.app import create_console_app
from console.config import WebConfig
from petitions.chat_log import ChatLog, ChatLogConfig, NewLine, WebChatSender, open_chat_log
from tests.dialogue_helpers import CODE_RE
from tests.standins._server import BackgroundServer

SECRET = "webchat-test-secret-" + "x" * 24
ANSWER = ("Ủy ban nhân dân phường Tân Ninh đã sửa đèn chiếu sáng đường vào ấp Bàu Sen. "
          "Cảm ơn bạn đã phản ánh.")
MATTER = "Đèn chiếu sáng trên đường vào ấp Bàu Sen hư hỏng cả tháng nay, ban đêm rất tối và nguy hiểm."
SUGGESTION = "Tra cứu hồ sơ của tôi"  # one of the three suggested actions of an empty chat


def _config(rasa_url: str, database_url: str, **chat: Any) -> WebConfig:
    return WebConfig(rasa_url=rasa_url, session_secret=SECRET, database_url=database_url,
                     extra={"webchat": ChatLogConfig(**chat)})


def _sender_of(client: TestClient | httpx.Client) -> str:
    data = client.cookies["danvan_session"].split(".", 1)[0]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))["chat_sender"]


def _lines(page: str) -> list[str]:
    """The stored lines a page shows (the greeting is not one)."""
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r'data-id="\d+"><span class="text">(.*?)</span>',
                                                                 page, re.S)]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'petitions.db'}"


# -- the schema --------------------------------------------------------------------------------------------------


def _table_of(entry: Any) -> str | None:
    """The table an Alembic autogenerate difference is about."""
    if isinstance(entry, list):  # modify_* differences come wrapped in a list
        entry = entry[0]
    kind = entry[0]
    if kind in ("add_table", "remove_table"):
        return entry[1].name
    if kind in ("add_column", "remove_column") or kind.startswith("modify_"):
        return entry[2]
    return getattr(getattr(entry[1], "table", None), "name", None)  # indexes, constraints, foreign keys


def test_chat_tables_match_the_migrations(store) -> None:  # noqa: ANN001 - on SQLite and PostgreSQL
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from petitions.chat_log import Base
    from petitions.migrations import VERSION_TABLE

    ours = set(Base.metadata.tables)
    store.migrate()  # twice: idempotent
    with store.engine.connect() as conn:
        assert ours <= set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        drift = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in ours]
    assert drift == []


# -- memory, caps, retention, clear (no turn needed) ---------------------------------------------------------------


def test_history_is_capped_per_chat_and_lines_are_bounded(store_url: str) -> None:  # SQLite and PostgreSQL
    chat_log = open_chat_log(store_url, ChatLogConfig(history_lines=5, line_chars=200))
    sender, other = "web:00000000000000aa", "web:00000000000000bb"
    for i in range(8):
        chat_log.append(sender, NewLine("user", f"câu hỏi {i}"))
    chat_log.append(other, NewLine("user", "của người khác"))
    assert [line.text for line in chat_log.lines(sender)] == [f"câu hỏi {i}" for i in range(3, 8)]
    assert [line.text for line in chat_log.lines(other)] == ["của người khác"]  # the cap is per chat
    long_answer = "Cơ quan đã trả lời. " * 40  # 800 characters: kept whole, in several lines of at most 200
    chat_log.append(sender, NewLine("bot", long_answer), NewLine("user", "x" * 1000))
    kept = chat_log.lines(sender)
    assert len(kept) == 5 and all(len(line.text) <= 200 for line in kept)
    assert kept[-1].text == "x" * 200
    chat_log.engine.dispose()


def test_retention_deletes_old_lines_and_idle_chats(store_url: str) -> None:  # SQLite and PostgreSQL
    chat_log = open_chat_log(store_url, ChatLogConfig(retention_days=90))
    chat_log.append("web:00000000000000cc", NewLine("user", "xin chào"))
    assert chat_log.purge(datetime.now(UTC) + timedelta(days=30)) == 0
    assert chat_log.purge(datetime.now(UTC) + timedelta(days=91)) == 1
    assert chat_log.lines("web:00000000000000cc") == []
    chat_log.engine.dispose()


def test_bad_cookies_start_a_fresh_chat_never_an_error(db_url: str) -> None:
    chat_log = open_chat_log(db_url)
    victim = "web:0123456789abcdef"
    chat_log.append(victim, NewLine("user", "Nhà tôi ở ấp Cẩm Long, số điện thoại 0987654321"))
    ended = "web:fedcba9876543210"
    chat_log.append(ended, NewLine("user", "chat đã xóa"))
    chat_log.end(ended)
    payload = lambda sender: base64.b64encode(json.dumps({"chat_sender": sender}).encode())  # noqa: E731

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 30 * 86400

    cookies = {
        "forged": payload(victim).decode() + ".AAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "another deployment": TimestampSigner("another-secret-" + "y" * 30).sign(payload(victim)).decode(),
        "expired": Old(SECRET).sign(payload(victim)).decode(),
        "not a chat id": TimestampSigner(SECRET).sign(payload("telegram:42")).decode(),
        "ended chat": TimestampSigner(SECRET).sign(payload(ended)).decode(),
        "garbage": "%%%\x7f not a cookie",
    }
    app = create_console_app(_config("http://127.0.0.1:9", db_url))
    for name, cookie in cookies.items():
        client = TestClient(app)
        client.cookies.set("danvan_session", cookie)
        page = client.get("/")
        assert page.status_code == 200, name
        assert _lines(page.text) == [] and SUGGESTION in page.text, name  # an empty chat, nobody else's
        stream = client.get("/", headers={"Accept": "text/event-stream"})
        assert stream.status_code == 204, name
        assert client.post("/chat", data={"action": "clear"}).status_code == 200, name
    assert [line.text for line in chat_log.lines(victim)] == ["Nhà tôi ở ấp Cẩm Long, số điện thoại 0987654321"]
    chat_log.engine.dispose()


async def test_an_answer_for_an_ended_or_foreign_chat_is_undeliverable(store_url: str) -> None:
    chat_log = open_chat_log(store_url)
    sender = WebChatSender(chat_log)
    assert sender.channel == "web"
    chat_log.append("web:1111111111111111", NewLine("user", "xin chào"))
    chat_log.end("web:1111111111111111")
    for recipient in ("web:1111111111111111", "telegram:42"):
        with pytest.raises(DeliveryError) as failure:
            await sender.send_text(recipient, ANSWER)
        assert not failure.value.retryable
    assert await sender.send_text("web:2222222222222222", ANSWER) == 1  # a chat from before its first stored line
    assert [line.text for line in chat_log.lines("web:2222222222222222")] == [ANSWER]
    await sender.aclose()
    chat_log.engine.dispose()


async def test_the_deliverer_sends_web_answers_into_the_chat(db_url: str) -> None:
    from bot.delivery import build_deliverer

    sender = WebChatSender.for_database(db_url)
    deliverer = build_deliverer(extra=[sender])
    delivered = await deliverer.deliver("web", "web:3333333333333333", ANSWER)  # the petition's channel, sender_id
    assert delivered.parts == 1
    await deliverer.aclose()
    chat_log = open_chat_log(db_url)
    assert [(line.who, line.text) for line in chat_log.lines("web:3333333333333333")] == [("bot", ANSWER)]
    chat_log.engine.dispose()


# -- the live stream -----------------------------------------------------------------------------------------------


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[str, ChatLog]]:
    """The web app under uvicorn (streams need a real connection), with short streams so the test never waits."""
    app = create_console_app(_config("http://127.0.0.1:9", db_url, stream_seconds=4.0, stream_poll_s=0.2,
                                     streams_per_chat=2))
    server = BackgroundServer(app)
    server.start()
    chat_log = open_chat_log(db_url)
    try:
        yield server.url, chat_log
    finally:
        server.stop()
        chat_log.engine.dispose()


def _events(chunk_lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: "):]) for line in chunk_lines if line.startswith("data: ")]


async def test_an_operator_answer_reaches_the_open_stream_and_the_history(served: tuple[str, ChatLog]) -> None:
    url, chat_log = served
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as browser:
        # The browser's chat exists (the Rasa stand-in address is down: the polite reply is stored all the same).
        await browser.post("/api/chat", json={"message": "xin chào"})
        sender = _sender_of(browser)
        page = await browser.get("/")
        last = int(re.search(r'data-last-id="(\d+)"', page.text).group(1))
        assert last > 0
        received: list[str] = []
        async with browser.stream("GET", f"/?after={last}", headers={"Accept": "text/event-stream"}) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            await WebChatSender(chat_log).send_text(sender, ANSWER)  # what the delivery worker does
            async for line in stream.aiter_lines():
                received.append(line)
                if _events(received):
                    break
        assert [e["text"] for e in _events(received)] == [ANSWER]
        assert _events(received)[0]["who"] == "bot" and _events(received)[0]["id"] > last
        # Waiting in the history for the next visit, also for the page without JavaScript.
        assert ANSWER in _lines((await browser.get("/")).text)


async def test_open_streams_per_chat_are_capped(served: tuple[str, ChatLog]) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as browser:
        await browser.post("/api/chat", json={"message": "xin chào"})
        headers = {"Accept": "text/event-stream"}
        async with browser.stream("GET", "/", headers=headers) as first, \
                browser.stream("GET", "/", headers=headers) as second:
            assert (first.status_code, second.status_code) == (200, 200)
            third = await browser.get("/", headers=headers)
            assert third.status_code == 429
        # Closing a tab gives its place back.
        deadline = asyncio.get_running_loop().time() + 5
        while (status := (await _stream_status(browser))) != 200:
            assert asyncio.get_running_loop().time() < deadline, status
            await asyncio.sleep(0.1)


async def _stream_status(browser: httpx.AsyncClient) -> int:
    async with browser.stream("GET", "/", headers={"Accept": "text/event-stream"}) as stream:
        return stream.status_code


# -- through the real Rasa server ----------------------------------------------------------------------------------


def _turn(client: TestClient, message: str, label: str = "") -> str:
    response = client.post("/api/chat", json={"message": message, "label": label})
    assert response.status_code == 200, response.text
    return "\n".join(r.get("text", "") for r in response.json()["replies"])


def test_reload_and_restart_restore_the_chat_and_clear_forgets_it(rasa_stack) -> None:  # noqa: ANN001
    url = rasa_stack.settings.petitions_url
    client = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    first = client.get("/")
    assert SUGGESTION in first.text and _lines(first.text) == []  # an empty chat: greeting and three suggestions
    answer = _turn(client, "dan van kheo la gi")
    assert "Dân vận khéo" in answer
    reloaded = client.get("/")
    assert _lines(reloaded.text)[0] == "dan van kheo la gi" and "Dân vận khéo" in " ".join(_lines(reloaded.text))
    assert SUGGESTION not in reloaded.text
    # Another web process (or a restart) with the same cookie shows the same chat; the form page adds to it.
    restarted = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    restarted.cookies.set("danvan_session", client.cookies["danvan_session"])
    page = restarted.post("/chat", data={"message": "cảm ơn"})
    assert _lines(page.text)[:2] == _lines(reloaded.text)[:2] and "cảm ơn" in _lines(page.text)
    # "Xóa cuộc trò chuyện": history deleted, a new chat id, and the old cookie does not bring it back.
    old_cookie, old_sender = client.cookies["danvan_session"], _sender_of(client)
    cleared = client.post("/chat", data={"action": "clear"})
    assert cleared.status_code == 200 and _lines(cleared.text) == [] and SUGGESTION in cleared.text
    _turn(client, "xin chào")
    assert _sender_of(client) != old_sender
    chat_log = open_chat_log(url)
    assert chat_log.lines(old_sender) == [] and chat_log.is_ended(old_sender)
    replay = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    replay.cookies.set("danvan_session", old_cookie)
    assert _lines(replay.get("/").text) == []
    chat_log.engine.dispose()


def test_my_petitions_after_a_reload_lists_the_petition_filed_in_this_chat(rasa_stack) -> None:  # noqa: ANN001
    url = rasa_stack.settings.petitions_url
    client = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    client.get("/")
    assert "91/2025/QH15" in _turn(client, "Tôi muốn gửi phản ánh", "Gửi phản ánh, kiến nghị")
    assert "nội dung" in _turn(client, "Đồng ý").lower()
    assert "xã, phường" in _turn(client, MATTER).lower()
    assert "số điện thoại" in _turn(client, "phường Tân Ninh").lower()
    assert "Chuyển đến" in _turn(client, "0912 345 678")
    code = CODE_RE.search(_turn(client, "xác nhận"))
    assert code, "no tracking code in the receipt"
    # The page is reloaded (same cookie): the receipt with its code is still there, and "hồ sơ của tôi" lists it.
    reloaded = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    reloaded.cookies.set("danvan_session", client.cookies["danvan_session"])
    assert code.group(0) in " ".join(_lines(reloaded.get("/").text))
    mine = _turn(reloaded, "Hồ sơ của tôi", SUGGESTION)
    assert code.group(0) in mine
    # A stranger's browser has none.
    stranger = TestClient(create_console_app(_config(rasa_stack.rasa_url, url)))
    assert code.group(0) not in _turn(stranger, "hồ sơ của tôi")


def test_a_cancelled_petition_is_blanked_in_the_web_history_too(rasa_stack) -> None:  # noqa: ANN001
    """The cancel message says what the citizen typed into the form is erased: the page's history must agree."""
    url = rasa_stack.settings.petitions_url
    config = dataclasses.replace(_config(rasa_stack.rasa_url, url), chat_turns_per_minute=0)  # a scripted citizen
    client = TestClient(create_console_app(config))
    client.get("/")
    assert "Dân vận khéo" in _turn(client, "dan van kheo la gi")  # before the form: kept
    assert "91/2025/QH15" in _turn(client, "Tôi muốn gửi phản ánh", "Gửi phản ánh, kiến nghị")
    assert "nội dung" in _turn(client, "Đồng ý").lower()
    assert "xã, phường" in _turn(client, MATTER).lower()
    assert "số điện thoại" in _turn(client, "phường Tân Ninh").lower()
    _turn(client, "0912 345 678")
    _turn(client, "thôi khỏi gửi, hủy giùm")
    history = " ".join(_lines(TestClient(create_console_app(config), cookies=client.cookies).get("/").text))
    assert "dan van kheo la gi" in history
    for personal in (MATTER[:40], "Tân Ninh", "0912 345 678", "345 678"):
        assert personal not in history, personal


def test_each_suggested_action_of_an_empty_chat_gets_its_answer(rasa_stack) -> None:  # noqa: ANN001
    from actions import texts

    client = TestClient(create_console_app(_config(rasa_stack.rasa_url, rasa_stack.settings.petitions_url)))
    page = client.get("/").text
    suggestions = re.findall(r'name="message" value="([^"]+)"><input type="hidden" name="label" value="([^"]+)">',
                             page)
    assert [label for _, label in suggestions] == ["Hỏi về Công văn 608", "Gửi phản ánh, kiến nghị", SUGGESTION]
    (ask, ask_label), (file, file_label), (mine, mine_label) = suggestions
    assert "608/UBND-NCPC" in _turn(client, ask, ask_label)
    assert "91/2025/QH15" in _turn(client, file, file_label)  # the consent question of the petition form
    _turn(client, "hủy")
    assert texts.MY_PETITIONS_NONE in _turn(client, mine, mine_label)
    # The citizen's lines show the buttons they pressed; the cancelled form's lines (from the one that opened it) are
    # blanked, as the cancel message says.
    assert [line for line in _lines(client.get("/").text) if line in {ask_label, file_label, mine_label}] == [
        ask_label, mine_label]


def test_the_settings_reach_the_chat_log() -> None:
    from petitions.chat_log import chat_log_config
    from tests.stack import isolated_settings

    config = chat_log_config(isolated_settings(chat_history_lines=7, tracker_retention_days=30,
                                               chat_streams_per_chat=1))
    assert (config.history_lines, config.retention_days, config.streams_per_chat) == (7, 30, 1)
    assert (config.line_chars, config.stream_poll_s, config.stream_seconds) == (5000, 1.0, 8.0)
