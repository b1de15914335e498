"""Fixtures and helpers for the channel bridges: local stand-ins of the Telegram Bot API, the Zalo OA API and
Rasa's REST channel, each on a free 127.0.0.1 port, plus bridge configs tuned for fast tests.

End-to-end tests with the real Rasa server use them like this:

    async def test_flow(telegram_api, rasa_stack, tmp_path):
        config = telegram_config(telegram_api, rasa_stack.rasa_url, tmp_path / "tg.db")
        async with running_telegram(config):
            telegram_api.send_text(42, "xin chào")
            await telegram_api.wait_for(lambda: telegram_api.texts(42), timeout_s=30)

    async def test_zalo_flow(zalo_api, rasa_stack, tmp_path):
        async with running_zalo(zalo_config(zalo_api, rasa_stack.rasa_url, tmp_path / "zalo")) as zalo:
            await zalo.post(*zalo_api.make_text_event("84001", "xin chào"))
            await zalo_api.wait_for(lambda: zalo_api.texts("84001"), timeout_s=30)
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.telegram_bridge import TelegramConfig, build_telegram_app, start_telegram, stop_telegram
from bot.zalo_bridge import ZaloBridge, ZaloConfig, create_zalo_app
from tests.standins._server import serve_in_loop
from tests.standins.rasa_rest import RasaRestStandin
from tests.standins.telegram_api import TelegramStandin
from tests.standins.zalo_api import ZaloStandin


@pytest.fixture
def telegram_api() -> Iterator[TelegramStandin]:
    with TelegramStandin() as api:
        yield api


@pytest.fixture
def zalo_api() -> Iterator[ZaloStandin]:
    with ZaloStandin() as api:
        yield api


@pytest.fixture
def rasa_rest() -> Iterator[RasaRestStandin]:
    with RasaRestStandin() as rasa:
        yield rasa


def telegram_config(api: TelegramStandin, rasa_url: str, state_path: Path, **overrides: Any) -> TelegramConfig:
    """A bridge config pointed at the stand-in, with short polls and retries."""
    values: dict[str, Any] = dict(
        token=api.token, base_url=api.base_url, rasa_url=rasa_url, state_path=state_path,
        poll_timeout_s=1.0, retry_interval_s=0.2, retry_base_delay_s=0.2, rasa_timeout_s=60.0,
    )
    values.update(overrides)
    return TelegramConfig(**values)


def zalo_config(api: ZaloStandin, rasa_url: str, state_dir: Path, **overrides: Any) -> ZaloConfig:
    """A bridge config whose OA API and OAuth hosts are the stand-in, with freshly issued tokens."""
    access, refresh = api.issue_tokens()
    values: dict[str, Any] = dict(
        app_id=api.app_id, oa_secret=api.oa_secret, app_secret=api.app_secret, access_token=access,
        refresh_token=refresh, rasa_url=rasa_url, state_dir=state_dir, api_base=api.url, oauth_base=api.url,
        retry_interval_s=0.2, retry_base_delay_s=0.2, rasa_timeout_s=60.0,
    )
    values.update(overrides)
    return ZaloConfig(**values)


@contextlib.asynccontextmanager
async def running_telegram(config: TelegramConfig, *, webhook: bool = False) -> AsyncIterator[Application]:
    """The real PTB Application, polling the stand-in (or registered for webhooks) until the block ends."""
    app = build_telegram_app(config)
    await start_telegram(app, webhook=webhook)
    try:
        yield app
    finally:
        await stop_telegram(app)


@dataclass
class RunningZalo:
    url: str
    client: httpx.AsyncClient
    bridge: ZaloBridge
    config: ZaloConfig

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST an event to the webhook as Zalo would (body and headers from ZaloStandin.make_*_event)."""
        return await self.client.post(self.config.webhook_path, content=body, headers=headers)


@contextlib.asynccontextmanager
async def running_zalo(config: ZaloConfig) -> AsyncIterator[RunningZalo]:
    """The Zalo webhook app served by uvicorn (with its lifespan) in the current loop."""
    app = create_zalo_app(config)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield RunningZalo(url, client, app.state.zalo, config)
