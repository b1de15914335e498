"""Whole flows through the real Rasa server, from a citizen's Telegram or Zalo app (local stand-ins of their APIs)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.dialogue_helpers import CODE_RE
from tests.fixtures_bot import running_telegram, running_zalo, telegram_config, zalo_config

pytestmark = pytest.mark.e2e
MATTER = "Đèn chiếu sáng trên đường vào ấp Bàu Sen hư hỏng cả tháng nay, ban đêm rất tối và nguy hiểm."


async def _settle(probe, timeout_s: float = 60.0, quiet_s: float = 1.0) -> None:
    """Wait until the bot has answered and then stayed quiet for a moment (several replies may follow)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last, since = probe(), loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.2)
        now = probe()
        if now != last:
            last, since = now, loop.time()
        elif now and loop.time() - since >= quiet_s:
            return
    raise AssertionError("the bot did not answer in time")


class TelegramCitizen:
    def __init__(self, api: Any, chat_id: int) -> None:
        self.api, self.chat_id = api, chat_id
        self.updates: list[dict[str, Any]] = []

    async def say(self, text: str) -> str:
        before = len(self.api.texts(self.chat_id))
        self.updates.append(self.api.send_text(self.chat_id, text))
        await _settle(lambda: self.api.texts(self.chat_id)[before:])
        return "\n".join(self.api.texts(self.chat_id)[before:])


class ZaloCitizen:
    def __init__(self, api: Any, zalo: Any, user_id: str) -> None:
        self.api, self.zalo, self.user_id = api, zalo, user_id

    async def say(self, text: str) -> str:
        before = len(self.api.texts(self.user_id))
        response = await self.zalo.post(*self.api.make_text_event(self.user_id, text))
        assert response.status_code == 200
        await _settle(lambda: self.api.texts(self.user_id)[before:])
        return "\n".join(self.api.texts(self.user_id)[before:])


async def _petition(citizen: Any, *, consent: str, phone: str) -> str:
    assert "91/2025/QH15" in await citizen.say("tôi muốn gửi phản ánh")
    assert "nội dung" in (await citizen.say(consent)).lower()
    assert "xã, phường" in (await citizen.say(MATTER)).lower()
    assert "số điện thoại" in (await citizen.say("phường Tân Ninh")).lower()  # consent given: contact is asked
    reply = await citizen.say(phone)
    assert "Chuyển đến" in reply
    receipt = await citizen.say("xác nhận")
    code = CODE_RE.search(receipt)
    assert code, receipt
    return code.group(0)


async def test_telegram_citizen_asks_files_and_checks(telegram_api, rasa_stack, tmp_path: Path) -> None:
    from petitions import PetitionStore

    store = PetitionStore(rasa_stack.settings.petitions_url)
    config = telegram_config(telegram_api, rasa_stack.rasa_url, tmp_path / "tg.db")
    async with running_telegram(config):
        citizen = TelegramCitizen(telegram_api, 90001)
        answer = await citizen.say("dan van kheo la gi")
        assert "Dân vận khéo" in answer and "Nguồn:" in answer
        before = store.count()
        code = await _petition(citizen, consent="Đồng ý", phone="0912 345 678")
        record = store.get_by_code(code)
        assert record is not None and record.channel == "telegram" and record.sender_id == "telegram:90001"
        # Telegram redelivers the confirmation: no second petition, no second receipt. The status request after it
        # is the sentinel: one chat is handled in order, so its answer means the redelivery was handled too.
        sent = len(telegram_api.texts(90001))
        telegram_api.redeliver(citizen.updates[-1])
        status = await citizen.say(f"/tra_cuu {code}")
        assert code in status
        assert "\n".join(telegram_api.texts(90001)[sent:]) == status
        assert store.count() == before + 1
    # Another Telegram user cannot read it.
    async with running_telegram(telegram_config(telegram_api, rasa_stack.rasa_url, tmp_path / "tg2.db")):
        stranger = TelegramCitizen(telegram_api, 90002)
        reply = await stranger.say(f"/tra_cuu {code}")
        assert "không tìm thấy phản ánh nào với mã này" in reply.lower()
        assert "Tân Ninh" not in reply and "Chuyển đến" not in reply


async def test_zalo_citizen_asks_and_files_forged_events_are_rejected(zalo_api, rasa_stack, tmp_path: Path) -> None:
    from petitions import PetitionStore

    store = PetitionStore(rasa_stack.settings.petitions_url)
    async with running_zalo(zalo_config(zalo_api, rasa_stack.rasa_url, tmp_path / "zalo")) as zalo:
        citizen = ZaloCitizen(zalo_api, zalo, "84009001")
        answer = await citizen.say("Công văn 608 do ai ký?")
        assert "608/UBND-NCPC" in answer
        code = await _petition(citizen, consent="đồng ý", phone="không")
        record = store.get_by_code(code)
        assert record is not None and record.channel == "zalo"
        assert code in await citizen.say(f"tra cứu hồ sơ {code}")

        sent_before = len(zalo_api.texts("84009001"))
        count_before = store.count()
        forged = await zalo.post(*zalo_api.make_text_event("84009001", "xác nhận", secret="not-the-oa-secret"))
        assert forged.status_code == 401
        # Sentinel: a genuine message after the forged one; once it is answered, anything the forged event could
        # have caused would have happened.
        sentinel = await citizen.say(f"tra cứu hồ sơ {code}")
        assert code in sentinel
        assert "\n".join(zalo_api.texts("84009001")[sent_before:]) == sentinel
        assert store.count() == count_before
