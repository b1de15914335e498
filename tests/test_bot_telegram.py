"""The real python-telegram-bot Application, polling a local Bot API stand-in and talking to a Rasa REST stand-in."""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.telegram_bridge import (
    SECRET_HEADER,
    TelegramConfig,
    build_telegram_app,
    start_telegram,
    stop_telegram,
    telegram_webhook_route,
)
from tests.fixtures_bot import rasa_rest, telegram_api, telegram_config  # noqa: F401
from tests.standins.rasa_rest import RasaRestStandin
from tests.standins.telegram_api import TelegramStandin

CHAT = 4242
StartBot = Callable[..., Awaitable[Application]]


def _config(api: TelegramStandin, rasa: RasaRestStandin, state: Path, **overrides: Any) -> TelegramConfig:
    return telegram_config(api, rasa.url, state, **{"rasa_timeout_s": 5.0, **overrides})


@pytest.fixture
async def start_bot(telegram_api: TelegramStandin, rasa_rest: RasaRestStandin,
                    tmp_path: Path) -> AsyncIterator[StartBot]:
    """Start the bridge in polling mode (again, after a stop, to simulate a restart with the same state)."""
    running: list[Application] = []

    async def start(**overrides: Any) -> Application:
        app = build_telegram_app(_config(telegram_api, rasa_rest, tmp_path / "telegram.db", **overrides))
        await start_telegram(app)
        running.append(app)
        return app

    yield start
    for app in running:
        if app.running:
            await stop_telegram(app)


async def test_text_goes_to_rasa_as_the_chat_and_the_reply_comes_back(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.delay_s = 0.3
    await start_bot()
    update = telegram_api.send_text(CHAT, "Dân vận khéo là gì?")

    texts = await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    assert texts == ["Đã nhận: Dân vận khéo là gì?"]
    [received] = rasa_rest.received
    assert received["sender"] == f"telegram:{CHAT}"
    assert received["message"] == "Dân vận khéo là gì?"
    assert received["metadata"]["channel"] == "telegram"
    assert received["metadata"]["update_id"] == update["update_id"]
    assert received["metadata"]["message_key"] == f"telegram:{CHAT}:{update['message']['message_id']}"
    typing = telegram_api.calls_of("sendChatAction")
    reply = telegram_api.calls_of("sendMessage")[0]
    assert typing and typing[0].params["action"] == "typing" and typing[0].at < reply.at


async def test_long_answer_is_split_below_the_limit_at_sentence_ends(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    sentence = "Theo Kết luận 43-KL/TW, công tác dân vận phải được tăng cường trong tình hình mới. "
    answer = (sentence * 130).strip()  # ~11,000 characters
    rasa_rest.responder = lambda sender, text, metadata: [{"text": answer if text == "cho tôi toàn văn" else "xong"}]
    await start_bot()
    telegram_api.send_text(CHAT, "cho tôi toàn văn")

    await telegram_api.wait_for(lambda: len(telegram_api.texts(CHAT)) >= 3)
    telegram_api.send_text(CHAT, "hết")  # sentinel: its reply comes after every part of the long answer
    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT)[-1:] == ["xong"])
    parts = telegram_api.texts(CHAT)[:-1]
    assert len(parts) == 3
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert all(p.endswith("tình hình mới.") for p in parts)
    assert " ".join(parts) == answer


async def test_buttons_become_an_inline_keyboard_and_a_press_sends_the_payload(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    long_payload = '/inform{"commune": "Phường Tân Ninh", "note": "một lựa chọn có payload dài hơn 64 byte"}'

    def responder(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if text.startswith("/"):
            return [{"text": "Cảm ơn bà con đã chọn."}]
        return [{"text": "Bà con muốn làm gì?", "buttons": [
            {"title": "Hỏi đáp", "payload": "/ask_policy"},
            {"title": "Phường Tân Ninh", "payload": long_payload},
        ]}]

    rasa_rest.responder = responder
    await start_bot()
    telegram_api.send_text(CHAT, "xin chào")
    [menu] = await telegram_api.wait_for(lambda: telegram_api.messages(CHAT))
    keyboard = menu["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Hỏi đáp", "Phường Tân Ninh"]

    message_id = telegram_api.sent_message_ids(CHAT)[0]
    telegram_api.press_button(CHAT, message_id, keyboard[1][0]["callback_data"])
    await telegram_api.wait_for(lambda: len(telegram_api.texts(CHAT)) == 2)
    assert rasa_rest.messages(f"telegram:{CHAT}") == ["xin chào", long_payload]
    assert telegram_api.texts(CHAT)[-1] == "Cảm ơn bà con đã chọn."
    assert telegram_api.calls_of("answerCallbackQuery")
    assert [c.params["message_id"] for c in telegram_api.calls_of("editMessageReplyMarkup")] == [message_id]


async def test_update_redelivered_after_a_restart_is_ignored(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    app = await start_bot()
    first = telegram_api.send_text(CHAT, "Tôi muốn gửi phản ánh")
    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    await stop_telegram(app)

    await start_bot()
    telegram_api.redeliver(first)
    telegram_api.send_text(CHAT, "về đường hư hỏng")
    # The message after the redelivered one is the sentinel: one chat is handled in order.
    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT)[-1:] == ["Đã nhận: về đường hư hỏng"])
    assert rasa_rest.messages() == ["Tôi muốn gửi phản ánh", "về đường hư hỏng"]
    assert len(telegram_api.texts(CHAT)) == 2
    assert telegram_api.pending_updates() == 0


async def test_rasa_down_gives_an_apology_and_the_message_is_answered_when_rasa_is_back(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rasa_rest.stop()
    await start_bot()
    telegram_api.send_text(CHAT, "Thủ tục khiếu nại thế nào?")
    telegram_api.send_text(CHAT, "và thời hạn giải quyết?")

    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    assert any("Rasa unavailable" in r.getMessage() for r in caplog.records)

    rasa_rest.start()
    # The answer to the last message is the positive signal: one chat is handled in order, so by then every reply
    # of this chat has been sent, and a second apology would be in the list.
    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT)[-1:] == ["Đã nhận: và thời hạn giải quyết?"],
                                timeout_s=10)
    apology, *_ = telegram_api.texts(CHAT)
    assert "Xin lỗi" in apology and "ghi nhận" in apology
    assert len(telegram_api.texts(CHAT)) == 3  # one apology, not one per message
    assert rasa_rest.messages() == ["Thủ tục khiếu nại thế nào?", "và thời hạn giải quyết?"]
    assert telegram_api.texts(CHAT)[1:] == ["Đã nhận: Thủ tục khiếu nại thế nào?", "Đã nhận: và thời hạn giải quyết?"]


async def test_pending_message_survives_a_restart_while_rasa_is_down(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.stop()
    app = await start_bot()
    telegram_api.send_text(CHAT, "Xã tôi bị ngập")
    await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    await stop_telegram(app)

    rasa_rest.start()
    await start_bot()
    await telegram_api.wait_for(lambda: len(telegram_api.texts(CHAT)) == 2, timeout_s=10)
    assert rasa_rest.messages() == ["Xã tôi bị ngập"]


async def test_start_help_and_status_commands(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    await start_bot()
    telegram_api.send_text(CHAT, "/start")
    [greeting] = await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    for phrase in ("Xin chào", "công tác dân vận", "phản ánh, kiến nghị", "Tra cứu"):
        assert phrase in greeting
    telegram_api.send_text(CHAT, "/help")
    telegram_api.send_text(CHAT, "/tra_cuu")
    telegram_api.send_text(CHAT, "/tra_cuu TN7K2QX")
    await telegram_api.wait_for(lambda: len(telegram_api.texts(CHAT)) == 4)
    _, help_text, usage, status = telegram_api.texts(CHAT)
    assert "/tra_cuu" in help_text and "phản ánh" in help_text
    assert "mã hồ sơ" in usage
    assert rasa_rest.messages() == ["tra cứu hồ sơ TN7K2QX"]
    assert status == "Đã nhận: tra cứu hồ sơ TN7K2QX"
    assert {c["command"] for c in telegram_api.calls_of("setMyCommands")[0].params["commands"]} == {
        "start", "help", "tra_cuu"}


async def test_photo_gets_a_text_only_note(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    await start_bot()
    telegram_api.send_photo(CHAT)
    [note] = await telegram_api.wait_for(lambda: telegram_api.texts(CHAT))
    assert "dạng chữ" in note
    assert rasa_rest.received == []


async def test_one_slow_conversation_does_not_hold_up_another_chat(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    # Chat 1's answers are held until chat 2 has had its answer: if chat 2 waited behind chat 1, neither would come.
    # (How fast chat 2 is answered is measured in benchmarks/bench_bridges.py.)
    chat2_answered = threading.Event()

    async def responder(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if sender == "telegram:1":
            await asyncio.to_thread(chat2_answered.wait, 10)
        return [{"text": f"trả lời {text}"}]

    rasa_rest.responder = responder
    await start_bot()
    telegram_api.send_text(1, "chậm 1")
    telegram_api.send_text(1, "chậm 2")
    await rasa_rest.wait_for(lambda: rasa_rest.messages("telegram:1"))  # chat 1 is in Rasa first
    telegram_api.send_text(2, "nhanh")
    await telegram_api.wait_for(lambda: telegram_api.texts(2), timeout_s=8)
    assert telegram_api.texts(1) == []
    chat2_answered.set()
    await telegram_api.wait_for(lambda: len(telegram_api.texts(1)) == 2, timeout_s=10)
    assert telegram_api.texts(1) == ["trả lời chậm 1", "trả lời chậm 2"]  # one chat stays in order


async def test_webhook_checks_the_secret_token_and_drops_redeliveries(
    telegram_api: TelegramStandin, rasa_rest: RasaRestStandin, tmp_path: Path
) -> None:
    from starlette.applications import Starlette

    config = _config(telegram_api, rasa_rest, tmp_path / "telegram.db",
                     webhook_url="https://danvan.example/telegram/webhook", webhook_secret="s3cret-token")
    app = build_telegram_app(config)
    await start_telegram(app, webhook=True)
    try:
        assert telegram_api.webhook is not None
        assert telegram_api.webhook["url"] == config.webhook_url
        assert telegram_api.webhook["secret_token"] == "s3cret-token"
        web = Starlette(routes=[telegram_webhook_route(app, config.webhook_secret, config.webhook_path)])
        update = json.dumps(telegram_api.make_text_update(CHAT, "Hỏi về Kết luận 43"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bridge") as client:
            forged = await client.post("/telegram/webhook", content=update, headers={SECRET_HEADER: "guess"})
            missing = await client.post("/telegram/webhook", content=update)
            assert (forged.status_code, missing.status_code) == (403, 403)
            for _ in range(2):  # Telegram retries when it did not see our 200 in time
                ok = await client.post("/telegram/webhook", content=update, headers={SECRET_HEADER: "s3cret-token"})
                assert ok.status_code == 200
            garbage = await client.post("/telegram/webhook", content=b"{not json",
                                        headers={SECRET_HEADER: "s3cret-token"})
            assert garbage.status_code == 400
            # Sentinel after the two deliveries: once it is answered, a second copy would have been answered too.
            sentinel = json.dumps(telegram_api.make_text_update(CHAT, "hết"))
            ok = await client.post("/telegram/webhook", content=sentinel, headers={SECRET_HEADER: "s3cret-token"})
            assert ok.status_code == 200
        await telegram_api.wait_for(lambda: telegram_api.texts(CHAT)[-1:] == ["Đã nhận: hết"])
        assert rasa_rest.messages() == ["Hỏi về Kết luận 43", "hết"]
    finally:
        await stop_telegram(app)


def test_webhook_mode_refuses_to_run_without_a_secret(
    telegram_api: TelegramStandin, rasa_rest: RasaRestStandin, tmp_path: Path
) -> None:
    app = build_telegram_app(_config(telegram_api, rasa_rest, tmp_path / "t.db", webhook_url="https://x/y"))
    with pytest.raises(ValueError, match="secret"):
        asyncio.run(start_telegram(app, webhook=True))
    with pytest.raises(ValueError, match="secret"):
        telegram_webhook_route(app, "")


async def test_image_reply_is_sent_as_a_photo(
    start_bot: StartBot, telegram_api: TelegramStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.responder = lambda s, t, m: [{"text": "Sơ đồ quy trình:"}, {"image": "https://example.org/quy-trinh.png"}]
    await start_bot()
    telegram_api.send_text(CHAT, "quy trình tiếp nhận?")
    [photo] = await telegram_api.wait_for(lambda: telegram_api.calls_of("sendPhoto"))
    assert photo.params["photo"] == "https://example.org/quy-trinh.png"
    assert telegram_api.texts(CHAT) == ["Sơ đồ quy trình:"]
