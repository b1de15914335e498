"""The real `danvan telegram` bridge (its own process, python-telegram-bot 22 polling) against a Bot API emulator not
written here: the npm package telegram-test-api 4.2.1 (pinned in tests/peers/package.json and package-lock.json),
whose client side plays the citizen. Behind the bridge: the real Rasa server and action server (tests/stack.py).

The emulator runs unchanged. It lacks what the bridge needs in five places, so a thin front in this test sits
between the bridge and the emulator (`BotApiFront`), answers only these and forwards everything else unchanged:

- `getMe` answers without `is_bot`, a required field of the Bot API's User: PTB refuses to start ("User.__init__()
  missing 1 required positional argument: 'is_bot'"). The front forwards getMe and adds `is_bot: true`.
- `sendChatAction` and `setMyCommands` are not implemented (the emulator answers 500, "API method ... is not
  supported"). The front answers `true`, as the Bot API does.
- The Message returned by `sendMessage` carries `date` in milliseconds; the Bot API gives Unix seconds, and PTB
  fails on it ("year 58901 is out of range"). The front converts that one field of that one method's result.
- A button press reaches `getUpdates` as a `callback_query` without `chat_instance` (required by the Bot API; the
  emulator rebuilds the update from four fields whatever the client sent), and PTB drops the whole batch
  ("CallbackQuery.__init__() missing 1 required positional argument: 'chat_instance'"). The front adds it: the
  chat's id, which is what Telegram's value identifies.
- `editMessageReplyMarkup` (the bridge removes the keyboard once a button is pressed) answers `result: null`; the Bot
  API answers the edited Message or `true`, and PTB fails on null. The front answers `true`.

The test asserts that each of these was actually used, so a future emulator that fixes them shows up here.
Node.js absent: the test skips with that reason; node_modules absent: `npm ci` installs the pinned package first.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.dialogue_helpers import CODE_RE
from tests.fixtures_console import build_console_env, csrf_of
from tests.standins._server import BackgroundServer, free_port

pytestmark = pytest.mark.e2e
if shutil.which("node") is None:  # before the session's Rasa stack is started for nothing
    pytest.skip("Node.js is not installed: the Telegram emulator (npm telegram-test-api) needs it",
                allow_module_level=True)

REPO_ROOT = Path(__file__).resolve().parents[1]
PEERS = REPO_ROOT / "tests" / "peers"
TOKEN = "424242:emulator-test-token"
CHAT = 777123
MATTER = "Đèn chiếu sáng trên đường vào ấp Bàu Sen hư hỏng cả tháng nay, ban đêm rất tối và nguy hiểm."
ANSWER = "Điện lực đã thay bóng đèn đường vào ấp Bàu Sen ngày hôm qua. Cảm ơn bạn đã phản ánh."


# -- the emulator, unchanged ------------------------------------------------------------------------------------------


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the Telegram emulator (npm telegram-test-api) needs it")
    return node


def _ensure_installed() -> None:
    """`npm ci` from the committed lock file when node_modules is missing (first run on a fresh clone)."""
    if (PEERS / "node_modules" / "telegram-test-api" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install telegram-test-api from tests/peers/package-lock.json")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=True, timeout=600,
                   stdout=subprocess.DEVNULL)


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Any]:
    """The project's process supervisor, as the stacks use it: own process groups, and a watchdog that kills them if
    this test process dies without cleaning up (tests/test_suite_orphans.py)."""
    from danvan.procs import Supervisor

    with open(tmp_path / "processes.log", "a", encoding="utf-8") as output:
        supervisor = Supervisor(output=output, die_with_parent=True)
        try:
            yield supervisor
        finally:
            supervisor.stop_all()


@pytest.fixture
def emulator(supervisor: Any) -> str:
    from danvan.procs import ProcessSpec

    node = _node_or_skip()
    _ensure_installed()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    supervisor.run(ProcessSpec(name="telegram-test-api", cmd=[node, str(PEERS / "telegram_emulator.js"), str(port)],
                               cwd=str(PEERS), ready_url=f"{url}/botready/getMe", ready_timeout=30.0, port=port))
    return url


# -- the thin front ---------------------------------------------------------------------------------------------------


class BotApiFront:
    """Between the bridge and the emulator: answers only what the emulator lacks (see the module docstring)."""

    ANSWERED = frozenset({"sendChatAction", "setMyCommands"})
    REPAIRED = frozenset({"getMe", "sendMessage", "getUpdates", "editMessageReplyMarkup"})

    def __init__(self, emulator_url: str) -> None:
        self.emulator_url = emulator_url
        self.adapted: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._server = BackgroundServer(Starlette(routes=[
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
        ]))

    @property
    def base_url(self) -> str:
        return f"{self._server.url}/bot"

    def __enter__(self) -> BotApiFront:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    async def _endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        self.calls[method] += 1
        if method in self.ANSWERED:
            self.adapted[method] += 1
            return JSONResponse({"ok": True, "result": True})
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type",)}
        async with httpx.AsyncClient(timeout=30.0) as client:
            upstream = await client.request(request.method, f"{self.emulator_url}{request.url.path}",
                                            params=request.query_params, content=await request.body(),
                                            headers=headers)
        if method not in self.REPAIRED or upstream.status_code != 200:
            return Response(upstream.content, status_code=upstream.status_code,
                            media_type=upstream.headers.get("content-type"))
        data = upstream.json()
        result = data.get("result")
        if method == "getMe" and isinstance(result, dict) and "is_bot" not in result:
            result["is_bot"] = True
            self.adapted["getMe.is_bot"] += 1
        if method == "sendMessage" and isinstance(result, dict) and int(result.get("date") or 0) > 10**11:
            result["date"] = int(result["date"]) // 1000
            self.adapted["sendMessage.date"] += 1
        if method == "editMessageReplyMarkup" and result is None:
            data["result"] = True
            self.adapted["editMessageReplyMarkup.result"] += 1
        if method == "getUpdates" and isinstance(result, list):
            for update in result:
                query = update.get("callback_query")
                if isinstance(query, dict) and "chat_instance" not in query:
                    chat = (query.get("message") or {}).get("chat") or {}
                    query["chat_instance"] = str(chat.get("id", query["from"]["id"]))
                    self.adapted["callback_query.chat_instance"] += 1
        return JSONResponse(data)


# -- the citizen, through the emulator's own client API ---------------------------------------------------------------


class EmulatedCitizen:
    """Plays a Telegram user with telegram-test-api's client routes (/sendMessage, /sendCommand, /sendCallback,
    /getUpdates), shaping messages as its TelegramClient does."""

    def __init__(self, emulator_url: str, chat_id: int) -> None:
        self.url = emulator_url
        self.chat_id = chat_id
        self.user = {"id": chat_id, "first_name": "Lan", "username": "lan_tn", "is_bot": False}
        self.received: list[dict[str, Any]] = []  # the bot's messages as the emulator stored them

    def _common(self) -> dict[str, Any]:
        return {"botToken": TOKEN, "date": int(time.time()), "from": self.user,
                "chat": {"id": self.chat_id, "first_name": "Lan", "username": "lan_tn", "type": "private"}}

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.post(f"{self.url}{path}", json=body)
        response.raise_for_status()
        return response.json()

    async def _fetch(self) -> list[dict[str, Any]]:
        data = await self._post("/getUpdates", {"token": TOKEN, "chatId": self.chat_id})
        self.received.extend(data.get("result") or [])
        return data.get("result") or []

    async def wait_replies(self, timeout_s: float = 90.0, quiet_s: float = 1.5) -> list[dict[str, Any]]:
        """The bot's messages to this turn: wait for the first, then until it has been quiet for a moment."""
        got: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline, since = loop.time() + timeout_s, loop.time()
        while loop.time() < deadline:
            fresh = await self._fetch()
            if fresh:
                got.extend(fresh)
                since = loop.time()
            elif got and loop.time() - since >= quiet_s:
                return got
            await asyncio.sleep(0.2)
        raise AssertionError(f"the bot did not answer in time (got {[m['message'].get('text') for m in got]})")

    async def say(self, text: str) -> list[dict[str, Any]]:
        await self._post("/sendMessage", {**self._common(), "text": text})
        return await self.wait_replies()

    async def command(self, text: str) -> list[dict[str, Any]]:
        entity = {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
        await self._post("/sendCommand", {**self._common(), "text": text, "entities": [entity]})
        return await self.wait_replies()

    async def press(self, messages: list[dict[str, Any]], title: str) -> list[dict[str, Any]]:
        """Tap the inline button with this title on the latest message that shows it."""
        for stored in reversed(messages):
            markup = stored["message"].get("reply_markup") or {}
            for row in markup.get("inline_keyboard") or []:
                for button in row:
                    if button.get("text") == title:
                        message = {**self._common(), "message_id": stored["messageId"],
                                   "text": stored["message"].get("text", ""),
                                   "from": {"id": 424242, "is_bot": True, "first_name": "Bot"}}
                        await self._post("/sendCallback", {**self._common(), "message": message,
                                                           "data": button["callback_data"]})
                        return await self.wait_replies()
        raise AssertionError(f"no button {title!r} in {[m['message'].get('text') for m in messages]}")


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["message"].get("text") or "" for m in messages)


# -- the bridge: `danvan telegram` in its own process ---------------------------------------------------------------


def _start_bridge(supervisor: Any, stack: Any, front: BotApiFront, var_dir: Path) -> Any:
    from danvan.procs import ProcessSpec
    from tests.stack import sealed_env

    env = {**sealed_env(stack.settings), "TELEGRAM_BOT_TOKEN": TOKEN, "DANVAN_TELEGRAM_BASE_URL": front.base_url,
           "DANVAN_VAR_DIR": str(var_dir)}
    danvan = Path(sys.executable).parent / "danvan"
    return supervisor.start(ProcessSpec(name="danvan-telegram", cmd=[str(danvan), "telegram"], env=env,
                                        cwd=str(REPO_ROOT)))


async def _wait_polling(front: BotApiFront, bridge: Any, supervisor: Any) -> None:
    deadline = time.monotonic() + 60
    while front.calls["getUpdates"] < 2:
        if bridge.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(supervisor.tails.get("danvan-telegram", [])[-40:])
            raise AssertionError(f"the bridge did not start polling:\n{tail}")
        await asyncio.sleep(0.1)


async def test_danvan_telegram_against_telegram_test_api(emulator: str, supervisor: Any, rasa_stack: Any,
                                                          tmp_path: Path) -> None:
    from bot.delivery import TelegramDeliveryConfig, build_deliverer

    with BotApiFront(emulator) as front:
        bridge = _start_bridge(supervisor, rasa_stack, front, tmp_path / "bridge-var")
        try:
            await _wait_polling(front, bridge, supervisor)
            citizen = EmulatedCitizen(emulator, CHAT)

            # A full petition, the consent and the confirmation given with inline buttons.
            consent = await citizen.say("tôi muốn gửi phản ánh")
            assert "91/2025/QH15" in texts(consent)
            assert "nội dung" in texts(await citizen.press(consent, "Đồng ý")).lower()
            assert "xã, phường" in texts(await citizen.say(MATTER)).lower()
            assert "số điện thoại" in texts(await citizen.say("phường Tân Ninh")).lower()
            summary = await citizen.say("0912 345 678")
            assert "Chuyển đến" in texts(summary)
            receipt = texts(await citizen.press(summary, "Xác nhận"))
            found = CODE_RE.search(receipt)
            assert found, receipt
            code = found.group(0)

            # The status lookup, as a command.
            status = texts(await citizen.command(f"/tra_cuu {code}"))
            assert code in status and "Đã tiếp nhận" in status

            # An operator answers in the console; the answer reaches the citizen through the emulator.
            deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=TOKEN, base_url=front.base_url))
            env = build_console_env(tmp_path / "console", database_url=rasa_stack.settings.petitions_url,
                                    deliverer=deliverer)
            record = env.get(code)
            assert (record.channel, record.sender_id) == ("telegram", f"telegram:{CHAT}")
            env.add_user("op-emulator", "operator", record.agency)
            with env.client() as client:
                env.login(client, "op-emulator")
                page = client.get(f"/console/p/{code}")
                answered = client.post(f"/console/p/{code}/answer",
                                       data={"csrf_token": csrf_of(page.text), "answer": ANSWER})
                assert "Đã lưu câu trả lời và gửi tới người dân." in answered.text
            delivered = texts(await citizen.wait_replies(timeout_s=20))
            assert ANSWER in delivered and code in delivered
            assert env.get(code).delivery_state == "sent"
            env.store.close()
        finally:
            supervisor.stop("danvan-telegram")
    # Each gap of the emulator was met (and only these were answered by the front).
    assert front.adapted["getMe.is_bot"] >= 1 and front.adapted["sendMessage.date"] >= 1
    assert front.adapted["sendChatAction"] >= 1 and front.adapted["setMyCommands"] >= 1
    assert front.adapted["callback_query.chat_instance"] == 2  # the two buttons pressed
    assert front.adapted["editMessageReplyMarkup.result"] == 2
    bridge_log = "\n".join(line for line in (tmp_path / "processes.log").read_text(errors="replace").splitlines()
                           if line.startswith("[danvan-telegram]"))
    assert "Traceback" not in bridge_log, bridge_log[-3000:]
