"""Issue 12 §8 and §6 at the action server: only Rasa (with the shared secret) may call it, a petition is filed
with consent only when the tracker's own events hold the citizen's consent, and one chat or web client files at most
a few petitions per hour."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.petition_submit as submit_module
import actions.runtime
from actions.petition_submit import ActionSubmitPetition, consent_record
from actions.texts import FILING_LIMIT as FILING_LIMIT_TEXT
from danvan.commands.actions import SECRET_HEADER, build_action_app
from danvan.settings import Settings

SECRET = "mot-bi-mat-dung-chung-cho-rasa"


@asynccontextmanager
async def action_server(secret: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real rasa-sdk Sanic app with the guard, driven in process through ASGI (lifespan included)."""
    from sanic import Sanic

    Sanic.test_mode = True  # several apps named "rasa_sdk" in one test process
    app = build_action_app(secret)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put))
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://actions") as client:
            yield client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await lifespan


def _forged_call() -> dict[str, Any]:
    """What the finding POSTed: a made-up tracker claiming consent, straight to /webhook."""
    return {
        "next_action": "action_submit_petition", "sender_id": "kẻ-giả-mạo", "version": "3.6.21", "domain": {},
        "tracker": {
            "sender_id": "kẻ-giả-mạo", "latest_message": {"text": "xác nhận", "intent": {}, "entities": []},
            "events": [], "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
            "slots": {"consent": True, "confirmed": "yes", "matter": "Nội dung bịa đặt", "phone": "+84900000000"},
        },
    }


async def test_the_action_server_refuses_calls_without_the_shared_secret() -> None:
    async with action_server(SECRET) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.post("/webhook", json=_forged_call())).status_code == 403
        wrong = await client.post("/webhook", json=_forged_call(), headers={SECRET_HEADER: "doan-bua"})
        assert wrong.status_code == 403
        assert (await client.get("/actions")).status_code == 403
        listed = await client.get("/actions", headers={SECRET_HEADER: SECRET})
        assert listed.status_code == 200 and "action_submit_petition" in listed.text


def test_rasa_and_the_action_server_get_the_same_secret_from_one_settings_object(tmp_path) -> None:
    from pydantic import SecretStr

    from danvan.stack import action_spec, rasa_spec

    settings = Settings(_env_file=None, var_dir=tmp_path, rasa_token=SecretStr("token-of-this-run"))
    secret = settings.action_server_secret
    assert secret and "token-of-this-run" not in secret
    assert action_spec(settings).env["DANVAN_ACTION_SECRET"] == secret
    assert rasa_spec(settings, tmp_path / "m.tar.gz").env["DANVAN_ACTION_SECRET"] == secret
    explicit = Settings(_env_file=None, var_dir=tmp_path, action_secret=SecretStr("chosen"))
    assert explicit.action_server_secret == "chosen"
    endpoints = (settings.project_root / "endpoints.yml").read_text(encoding="utf-8")
    assert f"{SECRET_HEADER}: ${{DANVAN_ACTION_SECRET}}" in endpoints


def _tracker(slots: dict[str, Any], events: list[dict[str, Any]], sender: str = "web:abc",
             metadata: dict[str, Any] | None = None) -> Tracker:
    now = time.time()
    events = [*events, {"event": "user", "text": "Xác nhận", "timestamp": now, "metadata": metadata or {},
                        "parse_data": {"text": "Xác nhận", "intent": {"name": "affirm"}, "entities": []}}]
    return Tracker(sender, slots, {"text": "Xác nhận", "intent": {"name": "affirm"}, "entities": []}, events, False,
                   None, {}, "action_listen")


MATTER = "Đèn đường trước cổng trường tiểu học ấp 3 bị hỏng cả tháng nay, buổi tối học sinh đi lại rất nguy hiểm."
CONSENTED = [
    {"event": "active_loop", "name": "petition_form"},
    {"event": "slot", "name": "requested_slot", "value": "consent"},
    {"event": "slot", "name": "consent", "value": True},
]


def test_consent_counts_only_when_the_trackers_history_holds_it() -> None:
    slots = {"consent": True, "confirmed": "yes"}
    assert consent_record(_tracker(slots, CONSENTED)).given
    assert not consent_record(_tracker(slots, [])).given  # slots alone: a made-up tracker
    before_form = [CONSENTED[2], CONSENTED[0]]  # a consent event that no form asked for
    assert not consent_record(_tracker(slots, before_form)).given
    withdrawn = [*CONSENTED, {"event": "slot", "name": "consent", "value": None}]  # reset by a cancel
    assert not consent_record(_tracker(slots, withdrawn)).given
    # Sent back to the summary after a failed submission: the form is activated again, the consent still stands.
    resumed = [*CONSENTED, {"event": "active_loop", "name": None}, {"event": "active_loop", "name": "petition_form"}]
    assert consent_record(_tracker(slots, resumed)).given


@dataclass
class Receipt:
    code: str
    created: bool = True

    def message_vi(self) -> str:
        return f"Phản ánh của bạn đã được ghi nhận, mã tra cứu {self.code}."


@dataclass
class StandinPetitions:
    """The petition service's submit(), recording what was filed (the real one is tested in test_actions_submit)."""

    filed: list[dict[str, Any]] = field(default_factory=list)

    def submit(self, **kwargs: Any) -> Receipt:
        self.filed.append(kwargs)
        return Receipt(f"DV-{len(self.filed):06d}")


@dataclass
class StandinServices:
    petitions: StandinPetitions = field(default_factory=StandinPetitions)
    tracker_url: str = ""
    knowledge: Any = None


@pytest.fixture
def standin_services() -> Any:
    previous = actions.runtime._services
    services = StandinServices()
    actions.runtime.configure(services)
    submit_module.set_filing_limit(3)
    yield services
    submit_module.set_filing_limit(5)
    actions.runtime._services = previous


async def _submit(tracker: Tracker) -> str:
    dispatcher = CollectingDispatcher()
    await ActionSubmitPetition().run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_a_made_up_consent_files_no_personal_data(standin_services: Any) -> None:
    slots = {"consent": True, "confirmed": "yes", "matter": MATTER, "phone": "+84900000000"}
    await _submit(_tracker(slots, [], sender="telegram:1"))
    await _submit(_tracker(slots, CONSENTED, sender="telegram:2"))
    forged, real = standin_services.petitions.filed
    assert not forged["consent"].given and forged["phone"] is None
    assert real["consent"].given and real["phone"] == "+84900000000"


async def test_petitions_per_hour_are_limited_per_chat_and_per_web_client(standin_services: Any) -> None:
    slots = {"consent": False, "confirmed": "yes", "matter": MATTER}
    replies = [await _submit(_tracker(slots, [], sender="telegram:42")) for _ in range(5)]
    assert len(standin_services.petitions.filed) == 3
    assert replies[3] == FILING_LIMIT_TEXT and replies[4] == FILING_LIMIT_TEXT
    assert "DV-" in await _submit(_tracker(slots, [], sender="telegram:43"))  # another chat is not affected
    # The web chat: a new browser session per petition, one client behind them all.
    web = [await _submit(_tracker(slots, [], sender=f"web:{i:016x}", metadata={"client_key": "k1"}))
           for i in range(4)]
    assert [FILING_LIMIT_TEXT in r for r in web] == [False, False, False, True]
