"""bot/rasa_client.py is the one way into Rasa for every channel, the web chat included: one client per process that
works in whichever event loop calls it, and one mapping of Rasa's failures, which the web chat turns into the same
polite Vietnamese reply."""
from __future__ import annotations

import asyncio

from starlette.testclient import TestClient

from bot.rasa_client import RasaClient
from console.app import create_console_app
from console.config import WebConfig
from console.webchat import NO_REPLY_TEXT, RASA_DOWN_TEXT
from tests.standins.rasa_rest import RasaRestStandin


def test_one_client_serves_event_loops_one_after_another() -> None:
    """A process that runs a loop per message (scripts, Starlette's TestClient) keeps one client: a connection pool
    opened in an ended loop is never reused in the next one."""
    with RasaRestStandin() as rasa:
        client = RasaClient(rasa.url)

        async def turn(text: str) -> str:
            return (await client.send("web:1", text))[0].text

        assert [asyncio.run(turn(t)) for t in ("một", "hai", "ba")] == ["Đã nhận: một", "Đã nhận: hai", "Đã nhận: ba"]

        async def close() -> None:
            await client.aclose()

        asyncio.run(close())


def test_web_chat_turns_rasa_failures_into_one_polite_reply(tmp_path) -> None:
    with RasaRestStandin() as rasa:
        config = WebConfig(rasa_url=rasa.url, session_secret="s" * 40,
                           database_url=f"sqlite:///{tmp_path / 'p.db'}", var_dir=tmp_path)
        chat = TestClient(create_console_app(config))  # each request in a new event loop

        def reply() -> list[dict]:
            response = chat.post("/api/chat", json={"message": "xin chào"})
            assert response.status_code == 200
            return response.json()["replies"]

        rasa.responder = lambda sender, text, metadata: [
            {"text": "Chọn:", "buttons": [{"title": "Hỏi tiếp", "payload": "/hoi"}]}, {"custom": {"x": 1}}]
        assert reply() == [{"text": "Chọn:", "buttons": [{"title": "Hỏi tiếp", "payload": "/hoi"}]},
                           {"custom": {"x": 1}}]
        for status in (503, 400):  # overloaded, refused: the citizen reads the same sentence
            rasa.status = status
            assert reply() == [{"text": RASA_DOWN_TEXT}]
        rasa.status = None
        rasa.responder = lambda sender, text, metadata: []  # a custom action failed: never silence
        assert reply() == [{"text": NO_REPLY_TEXT}]
        rasa.stop()
        assert reply() == [{"text": RASA_DOWN_TEXT}]
