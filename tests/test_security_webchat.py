"""Issue 12 §6 and §9 on the public chat: turns are throttled per chat and per address with a polite message (also
behind a proxy), bad JSON gets 400, the chat page cannot be framed, and the session cookie holds no conversation."""
from __future__ import annotations

import base64
import json

from starlette.testclient import TestClient

from console.app import create_console_app
from console.config import WebConfig
from console.webchat import SLOW_DOWN_TEXT
from petitions.chat_log import ChatLogConfig
from tests.standins.rasa_rest import RasaRestStandin


def _client(rasa_url: str, tmp_path, *, address: str = "198.51.100.7", **config) -> TestClient:
    web = WebConfig(rasa_url=rasa_url, session_secret="s" * 40, database_url=f"sqlite:///{tmp_path / 'p.db'}",
                    var_dir=tmp_path, **config)
    return TestClient(create_console_app(web), client=(address, 50000))


def test_a_flood_from_one_chat_is_slowed_down_politely(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        client = _client(rasa.url, tmp_path)
        answers = [client.post("/api/chat", json={"message": f"mã DV-{i:06d}"}) for i in range(40)]
        allowed = [r for r in answers if r.status_code == 200]
        refused = [r for r in answers if r.status_code == 429]
        assert 1 <= len(allowed) <= 10 and len(allowed) + len(refused) == 40
        assert refused[0].json()["error"] == SLOW_DOWN_TEXT and "bạn" in SLOW_DOWN_TEXT.lower()
        assert len(rasa.received) == len(allowed)  # refused turns never reach Rasa


def test_new_sessions_from_one_address_share_its_allowance_and_carry_a_client_key(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        app_client = _client(rasa.url, tmp_path, chat_turns_per_minute_per_address=15)
        statuses = []
        for _ in range(30):  # a script dropping its cookie every time: a new chat per message
            app_client.cookies.clear()
            statuses.append(app_client.post("/api/chat", json={"message": "xin chào"}).status_code)
        assert statuses.count(200) == 15 and statuses.count(429) == 15
        keys = {m["metadata"].get("client_key") for m in rasa.received}
        assert len(keys) == 1 and keys.pop()  # the action server's filing limit sees one client, not its address
        assert "198.51.100.7" not in json.dumps(rasa.received)


def test_behind_a_trusted_proxy_each_citizen_has_their_own_allowance(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        client = _client(rasa.url, tmp_path, address="127.0.0.1", trusted_proxies=("127.0.0.1",),
                         chat_turns_per_minute_per_address=5)
        for citizen in ("203.0.113.1", "203.0.113.2"):
            codes = []
            for _ in range(5):
                client.cookies.clear()
                codes.append(client.post("/api/chat", json={"message": "xin chào"},
                                         headers={"X-Forwarded-For": citizen}).status_code)
            assert codes == [200] * 5, citizen
        client.cookies.clear()
        assert client.post("/api/chat", json={"message": "xin chào"},
                           headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429


def test_bad_json_gets_400_not_a_busy_message_or_a_500(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        client = _client(rasa.url, tmp_path)
        lone_surrogate = b'{"message": "xin ch\\ud800o"}'
        deep = b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        for body in (lone_surrogate, deep, b"[1, 2]", b"\xff\xfe"):
            response = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code in (400, 413), (body[:40], response.status_code)
            assert "bận" not in response.text
        big = json.dumps({"message": "a" * 200_000}).encode()
        assert client.post("/api/chat", content=big, headers={"Content-Type": "application/json"}).status_code == 413
        assert rasa.received == []


def test_the_chat_page_cannot_be_framed(tmp_path) -> None:
    client = _client("http://127.0.0.1:9", tmp_path)
    page = client.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def _cookie_payload(value: str) -> dict:
    data = value.split(".", 1)[0]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))


def test_the_session_cookie_carries_no_conversation(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        rasa.responder = lambda sender, text, metadata: [{"text": "Đã nhận: " + text}]
        client = _client(rasa.url, tmp_path)
        secret = "Số điện thoại của tôi là 0987654321, nhà ở ấp Cẩm Long " + "x" * 300
        for _ in range(8):
            page = client.post("/chat", data={"message": secret}, follow_redirects=True)
        assert "0987654321" in page.text  # the no-JavaScript page still shows the conversation
        cookie = client.cookies.get("danvan_session")
        assert cookie and len(cookie) < 300
        payload = _cookie_payload(cookie)
        assert set(payload) == {"chat_sender"}
        assert "0987654321" not in json.dumps(payload)


def test_the_chat_cookie_is_httponly_samesite_and_holds_only_the_chat_id(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        rasa.responder = lambda sender, text, metadata: [{"text": "Đã nhận: " + text}]
        client = _client(rasa.url, tmp_path, extra={"webchat": ChatLogConfig(stream_seconds=0.5)})
        assert "set-cookie" not in client.get("/").headers  # a visit alone creates no chat
        response = client.post("/api/chat", json={"message": "Nhà tôi ở ấp Cẩm Long, số điện thoại 0987654321"})
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        payload = _cookie_payload(client.cookies["danvan_session"])
        assert list(payload) == ["chat_sender"] and "0987654321" not in json.dumps(payload)
        stream = client.get("/?after=999999", headers={"Accept": "text/event-stream"})
        assert stream.headers["x-frame-options"] == "DENY" and stream.headers["cache-control"] == "no-store"
