"""The Zalo OA bridge served by uvicorn, fed signed events, talking to OA-API and Rasa REST stand-ins."""
from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.zalo_bridge import ZaloBridge, create_zalo_app
from bot.zalo_events import SignatureRecipe
from bot.zalo_tokens import ZaloTokenError, ZaloTokenManager
from tests.fixtures_bot import RunningZalo, rasa_rest, running_zalo, zalo_api, zalo_config  # noqa: F401
from tests.standins._server import serve_in_loop
from tests.standins.rasa_rest import RasaRestStandin, echo
from tests.standins.zalo_api import ZaloStandin

USER = "8412345678901234567"
WEBHOOK = "/zalo/webhook"


@pytest.fixture
async def zalo_bot(zalo_api: ZaloStandin, rasa_rest: RasaRestStandin, tmp_path: Path) -> AsyncIterator[RunningZalo]:
    async with running_zalo(zalo_config(zalo_api, rasa_rest.url, tmp_path / "zalo", rasa_timeout_s=5.0)) as bot:
        yield bot


async def test_valid_event_is_acknowledged_at_once_and_answered_through_message_cs(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    # Rasa answers only after Zalo has had its 200: a webhook that waited for Rasa would never get one (the client
    # times out). How fast the 200 comes is measured in benchmarks/bench_bridges.py.
    acknowledged = threading.Event()

    async def responder(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        await asyncio.to_thread(acknowledged.wait, 15)
        return echo(sender, text, metadata)

    rasa_rest.responder = responder
    body, headers = zalo_api.make_text_event(USER, "Kết luận 43 nói gì về dân vận?", msg_id="msg-1")
    response = await zalo_bot.post(body, headers)
    assert response.status_code == 200
    assert zalo_api.texts(USER) == []
    acknowledged.set()

    [reply] = await zalo_api.wait_for(lambda: zalo_api.texts(USER), timeout_s=8)
    assert reply == "Đã nhận: Kết luận 43 nói gì về dân vận?"
    [received] = rasa_rest.received
    assert received["sender"] == f"zalo:{USER}"
    assert received["metadata"]["msg_id"] == "msg-1"
    assert received["metadata"]["message_key"] == "zalo:msg-1"
    assert zalo_api.sent[0]["recipient"] == {"user_id": USER}


async def test_forged_and_stale_events_get_401_and_reach_nobody(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin, caplog: pytest.LogCaptureFixture
) -> None:
    now_ms = int(time.time() * 1000)
    wrong_key = zalo_api.make_text_event(USER, "giả mạo", secret="not-the-oa-secret")
    stale = zalo_api.make_text_event(USER, "cũ", timestamp_ms=now_ms - 3600_000)
    future = zalo_api.make_text_event(USER, "tương lai", timestamp_ms=now_ms + 3600_000)
    body, headers = zalo_api.make_text_event(USER, "nội dung gốc")
    tampered = (body.replace("nội dung gốc".encode(), "nội dung sửa".encode()), headers)
    unsigned = (body, {"Content-Type": "application/json"})
    for forged_body, forged_headers in (wrong_key, stale, future, tampered, unsigned):
        response = await zalo_bot.post(forged_body, forged_headers)
        assert response.status_code == 401

    await zalo_bot.bridge.drain()  # nothing was queued; whatever was is done now
    assert rasa_rest.received == [] and zalo_api.sent == []
    assert sum("rejected a Zalo" in r.getMessage() for r in caplog.records) == 5

    genuine = zalo_api.make_text_event(USER, "nội dung thật")  # the same set-up accepts a genuine event
    assert (await zalo_bot.post(*genuine)).status_code == 200
    await zalo_api.wait_for(lambda: zalo_api.texts(USER))


async def test_malformed_body_is_a_400(zalo_bot: RunningZalo) -> None:
    response = await zalo_bot.post(b"\xff\xfe not json", {"X-ZEvent-Signature": "mac=00"})
    assert response.status_code == 400


async def test_redelivered_event_is_forwarded_once(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    body, headers = zalo_api.make_text_event(USER, "Tôi muốn gửi kiến nghị", msg_id="dup-1")
    for _ in range(3):
        assert (await zalo_bot.post(body, headers)).status_code == 200
    await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    await zalo_bot.bridge.drain()  # the three posts were queued before their 200s: all are handled now
    assert rasa_rest.messages() == ["Tôi muốn gửi kiến nghị"]
    assert len(zalo_api.texts(USER)) == 1


async def test_buttons_become_a_numbered_menu_and_2_sends_the_second_payload(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    def responder(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if text == "gửi phản ánh":
            return [{"text": "Phản ánh của bà con thuộc lĩnh vực nào?", "buttons": [
                {"title": "Đất đai", "payload": '/inform{"topic": "dat-dai"}'},
                {"title": "Môi trường", "payload": '/inform{"topic": "moi-truong"}'},
                {"title": "Khác", "payload": '/inform{"topic": "khac"}'},
            ]}]
        return [{"text": f"Đã nhận: {text}"}]

    rasa_rest.responder = responder
    await zalo_bot.post(*zalo_api.make_text_event(USER, "gửi phản ánh"))
    [menu] = await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    assert "1. Đất đai\n2. Môi trường\n3. Khác" in menu
    assert "số thứ tự" in menu

    await zalo_bot.post(*zalo_api.make_text_event(USER, "2"))
    await zalo_api.wait_for(lambda: len(zalo_api.texts(USER)) == 2)
    await zalo_bot.post(*zalo_api.make_text_event(USER, "2"))  # the menu was used: now "2" is just text
    await zalo_api.wait_for(lambda: len(zalo_api.texts(USER)) == 3)
    assert rasa_rest.messages() == ["gửi phản ánh", '/inform{"topic": "moi-truong"}', "2"]


async def test_number_out_of_range_or_from_another_citizen_is_plain_text(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.responder = lambda s, t, m: [{"text": "Chọn:", "buttons": [{"title": "A", "payload": "/a"}]}]
    await zalo_bot.post(*zalo_api.make_text_event(USER, "menu"))
    await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    await zalo_bot.post(*zalo_api.make_text_event("other-user", "1"))
    await zalo_bot.post(*zalo_api.make_text_event(USER, "5"))
    await zalo_api.wait_for(lambda: len(zalo_api.sent) == 3)
    assert sorted(rasa_rest.messages()) == ["1", "5", "menu"]


async def test_rasa_down_gives_an_apology_then_the_answer(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.stop()
    await zalo_bot.post(*zalo_api.make_text_event(USER, "Đường ở ấp tôi bị sạt lở"))
    [apology] = await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    assert "Xin lỗi" in apology and "ghi nhận" in apology
    rasa_rest.start()
    await zalo_api.wait_for(lambda: len(zalo_api.texts(USER)) == 2, timeout_s=10)
    assert zalo_api.texts(USER)[1] == "Đã nhận: Đường ở ấp tôi bị sạt lở"


async def test_non_text_message_gets_a_text_only_note(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    event = {"event_name": "user_send_image", "sender": {"id": USER}, "recipient": {"id": "oa"},
             "message": {"msg_id": "img-1", "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}]}}
    assert (await zalo_bot.post(*zalo_api.make_event(event))).status_code == 200
    [note] = await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    assert "dạng chữ" in note and rasa_rest.received == []


async def test_rejected_access_token_is_refreshed_and_the_reply_resent(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin
) -> None:
    await zalo_bot.post(*zalo_api.make_text_event(USER, "lần 1"))
    await zalo_api.wait_for(lambda: zalo_api.texts(USER))
    used = zalo_api.sent[0]["access_token"]
    zalo_api.revoke(used)  # e.g. the OA admin re-authorised elsewhere
    await zalo_bot.post(*zalo_api.make_text_event(USER, "lần 2"))
    await zalo_api.wait_for(lambda: len(zalo_api.texts(USER)) == 2)
    assert zalo_api.sent[1]["access_token"] != used


async def test_access_token_is_refreshed_before_expiry_and_persisted(
    zalo_api: ZaloStandin, tmp_path: Path
) -> None:
    access, refresh = zalo_api.issue_tokens()
    now = [1_000_000.0]
    path = tmp_path / "tokens.json"
    async with httpx.AsyncClient() as http:
        def manager() -> ZaloTokenManager:
            return ZaloTokenManager(path, app_id=zalo_api.app_id, app_secret=zalo_api.app_secret,
                                    oauth_base=zalo_api.url, http=http, access_token=access, refresh_token=refresh,
                                    margin_s=3600, clock=lambda: now[0])

        tokens = manager()
        first = await tokens.access_token()  # expiry unknown at seeding: refreshed before first use
        assert first != access and len(zalo_api.refreshes) == 1
        assert zalo_api.refreshes[0]["secret_key"] == zalo_api.app_secret
        assert zalo_api.refreshes[0]["refresh_token"] == refresh

        now[0] += 90000 - 7200  # two hours left: still good
        assert await tokens.access_token() == first and len(zalo_api.refreshes) == 1
        now[0] += 5400  # 30 minutes left: inside the margin
        second = await tokens.access_token()
        assert second != first and len(zalo_api.refreshes) == 2

        saved = json.loads(path.read_text())
        assert saved["access_token"] == second
        assert zalo_api.refreshes[-1]["refresh_token"] != refresh  # the new single-use token was used

        # A restart (same configured refresh token) continues from the saved pair without refreshing.
        assert await manager().access_token() == second and len(zalo_api.refreshes) == 2

        # Another process sharing the file refreshes; this one adopts its pair instead of reusing a spent token.
        other = manager()
        now[0] += 90000
        third = await other.access_token()
        assert await tokens.access_token() == third and len(zalo_api.refreshes) == 3


async def test_refresh_failure_is_a_typed_error(zalo_api: ZaloStandin, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as http:
        tokens = ZaloTokenManager(tmp_path / "t.json", app_id=zalo_api.app_id, app_secret="wrong",
                                  oauth_base=zalo_api.url, http=http, access_token="x", refresh_token="y")
        with pytest.raises(ZaloTokenError, match="refused"):
            await tokens.access_token()


async def test_signature_header_and_recipe_come_from_settings(
    zalo_api: ZaloStandin, rasa_rest: RasaRestStandin, tmp_path: Path
) -> None:
    config = zalo_config(zalo_api, rasa_rest.url, tmp_path / "z", signature_header="X-Other-Signature",
                     signature_recipe="{app_id}{timestamp}{body}{oa_secret}")
    app = create_zalo_app(config)
    body, default_headers = zalo_api.make_text_event(USER, "xin chào")
    timestamp = json.loads(body)["timestamp"]
    mac = hashlib.sha256((zalo_api.app_id + timestamp + body.decode() + zalo_api.oa_secret).encode()).hexdigest()
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url) as client:
        moved = {"X-Other-Signature": default_headers["X-ZEvent-Signature"]}
        assert (await client.post(WEBHOOK, content=body, headers=moved)).status_code == 401
        good = {"X-Other-Signature": f"mac={mac}"}
        assert (await client.post(WEBHOOK, content=body, headers=good)).status_code == 200
        await zalo_api.wait_for(lambda: zalo_api.texts(USER))


def test_recipe_must_include_the_secret_and_known_parts() -> None:
    with pytest.raises(ValueError):
        SignatureRecipe("{app_id}{body}{timestamp}")
    with pytest.raises(ValueError):
        SignatureRecipe("{app_id}{body}{oa_secret}{nonce}")


async def test_events_still_queued_at_shutdown_are_kept_for_retry(
    zalo_api: ZaloStandin, rasa_rest: RasaRestStandin, tmp_path: Path
) -> None:
    rasa_rest.delay_s = 1.0
    config = zalo_config(zalo_api, rasa_rest.url, tmp_path / "z", workers=1)
    app = create_zalo_app(config)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url) as client:
        for i in range(4):
            await client.post(WEBHOOK, content=(e := zalo_api.make_text_event(USER, f"tin {i}"))[0], headers=e[1])
        bridge: ZaloBridge = app.state.zalo
        await asyncio.sleep(0.1)
        await bridge.stop(drain_timeout_s=0.2)  # what the lifespan does on SIGTERM, with a short grace
    from bot.retry import RetryQueue
    from bot.sqlite import connect

    parked = [m.text for m in RetryQueue(connect(config.state_db)).pending("zalo")]
    answered = [t.removeprefix("Đã nhận: ") for t in zalo_api.texts(USER)]
    assert parked, "the slow Rasa left work unfinished at shutdown"
    assert sorted(answered + parked) == [f"tin {i}" for i in range(4)]  # each message answered or kept


async def test_image_reply_is_sent_as_a_media_message(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    rasa_rest.responder = lambda s, t, m: [{"text": "Sơ đồ:", "image": "https://example.org/so-do.png"}]
    await zalo_bot.post(*zalo_api.make_text_event(USER, "sơ đồ"))
    await zalo_api.wait_for(lambda: len(zalo_api.sent) == 2)
    element = zalo_api.sent[1]["message"]["attachment"]["payload"]["elements"][0]
    assert element == {"media_type": "image", "url": "https://example.org/so-do.png"}
