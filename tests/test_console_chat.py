"""The public chat page keeps working beside the console: with and without JavaScript, and when Rasa is down."""
from __future__ import annotations

import re

from starlette.testclient import TestClient

from console.app import create_console_app
from console.config import WebConfig
from tests.standins.rasa_rest import RasaRestStandin


def _app(rasa_url: str, tmp_path) -> TestClient:
    config = WebConfig(rasa_url=rasa_url, session_secret="s" * 40, database_url=f"sqlite:///{tmp_path / 'p.db'}",
                       var_dir=tmp_path)
    return TestClient(create_console_app(config))


def test_chat_api_and_form_forward_to_rasa_as_the_web_channel(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        rasa.responder = lambda sender, text, metadata: [
            {"text": f"Chào bà con ({metadata.get('channel')})", "buttons": [{"title": "Hỏi tiếp", "payload": "/hoi"}]}]
        client = _app(rasa.url, tmp_path)
        page = client.get("/")
        assert page.status_code == 200 and "Tin nhắn của bạn" in page.text
        reply = client.post("/api/chat", json={"message": "xin chào"}).json()
        assert reply["replies"][0]["text"] == "Chào bà con (web)"
        page = client.post("/chat", data={"message": "dân vận khéo là gì?"})
        assert "dân vận khéo là gì?" in page.text and "Chào bà con (web)" in page.text
        assert 'value="/hoi"' in page.text  # buttons work as plain forms
        assert rasa.messages() == ["xin chào", "dân vận khéo là gì?"]
        senders = {m["sender"] for m in rasa.received}
        assert len(senders) == 1 and re.fullmatch(r"web:[0-9a-f]{16}", senders.pop())


def test_chat_says_so_politely_when_rasa_is_down(tmp_path) -> None:
    client = _app("http://127.0.0.1:9", tmp_path)
    reply = client.post("/api/chat", json={"message": "xin chào"}).json()
    assert "tạm gián đoạn" in reply["replies"][0]["text"]
    assert client.post("/api/chat", json={"message": "  "}).status_code == 400
    assert client.get("/healthz").text == "ok"


def test_the_page_without_javascript_says_what_was_wrong_and_stores_nothing_then(tmp_path) -> None:
    from console.webchat import EMPTY_TEXT, TOO_LONG_TEXT

    with RasaRestStandin() as rasa:
        client = _app(rasa.url, tmp_path)
        empty = client.post("/chat", data={"message": "   "})
        assert EMPTY_TEXT in empty.text and "data-id=" not in empty.text
        too_long = client.post("/chat", data={"message": "a" * 5001})
        assert TOO_LONG_TEXT in too_long.text and "data-id=" not in too_long.text
        assert "aaaa" not in str(too_long.url) and rasa.received == []  # only a short code in the address
        assert EMPTY_TEXT not in client.get("/").text  # said once, not remembered
