"""Operators' answers delivered to Telegram and Zalo stand-ins; failures surface as typed, classified errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery import DeliveryError, OutboundNotice, TelegramDeliveryConfig, UnknownChannel, build_deliverer
from bot.zalo_bridge import ZaloConfig
from tests.fixtures_bot import telegram_api, zalo_api  # noqa: F401
from tests.standins.telegram_api import TelegramStandin
from tests.standins.zalo_api import ZaloStandin

ANSWER = ("Kính gửi bà con, UBND xã đã tiếp nhận phản ánh về tuyến đường ấp 3 và sẽ sửa chữa trong tháng này. "
          "Trân trọng cảm ơn bà con đã phản ánh.")


def _zalo_config(api: ZaloStandin, state: Path) -> ZaloConfig:
    access, refresh = api.issue_tokens()
    return ZaloConfig(app_id=api.app_id, oa_secret=api.oa_secret, app_secret=api.app_secret, access_token=access,
                      refresh_token=refresh, rasa_url="http://127.0.0.1:9", state_dir=state,
                      api_base=api.url, oauth_base=api.url)


async def test_deliver_reaches_both_channels(telegram_api: TelegramStandin, zalo_api: ZaloStandin,
                                             tmp_path: Path) -> None:
    deliverer = build_deliverer(
        telegram=TelegramDeliveryConfig(token=telegram_api.token, base_url=telegram_api.base_url),
        zalo=_zalo_config(zalo_api, tmp_path),
    )
    try:
        assert deliverer.channels == {"telegram", "zalo"}
        tg = await deliverer.deliver("telegram", "telegram:777", ANSWER)
        zl = await deliverer.deliver("zalo", "zalo:8400111", ANSWER * 30)  # ~4,500 chars: split for Zalo
    finally:
        await deliverer.aclose()
    assert telegram_api.texts(777) == [ANSWER] and tg.parts == 1
    assert zl.parts == 3 and len(zalo_api.texts("8400111")) == 3
    assert all(len(t) <= 2000 for t in zalo_api.texts("8400111"))


async def test_failures_are_typed_and_say_whether_to_retry(telegram_api: TelegramStandin, zalo_api: ZaloStandin,
                                                           tmp_path: Path) -> None:
    telegram_api.blocked_chats.add(13)
    zalo_api.unreachable_users["8400999"] = (-230, "User has not interacted with the OA in the past 7 days")
    deliverer = build_deliverer(
        telegram=TelegramDeliveryConfig(token=telegram_api.token, base_url=telegram_api.base_url),
        zalo=_zalo_config(zalo_api, tmp_path),
    )
    try:
        with pytest.raises(DeliveryError) as blocked:
            await deliverer.deliver("telegram", "telegram:13", ANSWER)
        assert blocked.value.retryable is False and "blocked" in blocked.value.reason

        with pytest.raises(DeliveryError) as silent:
            await deliverer.deliver("zalo", "8400999", ANSWER)
        assert silent.value.retryable is False and "-230" in silent.value.reason

        with pytest.raises(UnknownChannel):
            await deliverer.deliver("web", "web:abc", ANSWER)

        telegram_api.stop()  # Telegram unreachable: worth retrying later
        with pytest.raises(DeliveryError) as down:
            await deliverer.deliver("telegram", "telegram:777", ANSWER)
        assert down.value.retryable is True
        zalo_api.stop()
        with pytest.raises(DeliveryError) as zalo_down:
            await deliverer.deliver("zalo", "8400111", ANSWER)
        assert zalo_down.value.retryable is True
    finally:
        await deliverer.aclose()


async def test_unconfigured_channels_are_unknown() -> None:
    deliverer = build_deliverer()
    with pytest.raises(UnknownChannel) as exc:
        await deliverer.deliver("telegram", "telegram:1", ANSWER)
    assert exc.value.retryable is False


class _WebChatLog:
    """A sender registered from outside bot/ (as the console's web chat sender is): text only, no send_notice."""

    channel = "web"

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    async def send_text(self, recipient: str, text: str) -> int:
        self.lines.append((recipient, text))
        return 1

    async def aclose(self) -> None:
        pass


async def test_extra_senders_are_registered_and_get_notices_as_text() -> None:
    web = _WebChatLog()
    deliverer = build_deliverer(extra=[web])
    notice = OutboundNotice(event="accepted", text="Phản ánh mã TN-7K4Q-MX29 của bạn đã được tiếp nhận.",
                            code="TN-7K4Q-MX29", agency="Sở Xây dựng", status="Đang xử lý", key="notice-1")
    delivered = await deliverer.deliver_notice("web", "web:abc123", notice)
    assert deliverer.channels == {"web"}
    assert (delivered.channel, delivered.via) == ("web", "message")
    assert web.lines == [("abc123", notice.text)]
