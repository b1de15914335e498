"""Issue 12 §9: CSV cells never run as formulas, the Zalo webhook answers bad JSON with 400 and drops redelivered
events without msg_id, and console passwords are checked against common ones."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from console.accounts import AccountError
from tests.fixtures_bot import RunningZalo, rasa_rest, running_zalo, zalo_api, zalo_config  # noqa: F401
from tests.fixtures_console import console_env  # noqa: F401 - fixture
from tests.standins.rasa_rest import RasaRestStandin
from tests.standins.zalo_api import ZaloStandin

USER = "8412345678901234567"


def test_csv_cells_are_quoted_and_formulas_after_separators_are_neutralised(console_env) -> None:
    env = console_env
    env.petition("Đường ấp 3 hư hỏng nặng; =HYPERLINK(\"http://x\",\"bấm\")\r\n@SUM(1+1)\t+cmd|' /C calc'!A0")
    client = env.client()
    env.login(client, "op-a")
    raw = client.get("/console/export.csv").content.decode("utf-8-sig")
    assert raw.startswith('"Mã hồ sơ","Ngày tiếp nhận"')  # every field quoted
    rows = list(csv.reader(io.StringIO(raw)))
    cell = rows[1][rows[0].index("Nội dung")]
    assert "; '=HYPERLINK" in cell and "\n'@SUM" in cell and "\t'+cmd" in cell
    assert cell.startswith("Đường ấp 3")  # ordinary text is left as it is


@pytest.fixture
async def zalo_bot(zalo_api: ZaloStandin, rasa_rest: RasaRestStandin, tmp_path: Path):
    async with running_zalo(zalo_config(zalo_api, rasa_rest.url, tmp_path / "zalo", rasa_timeout_s=5.0)) as bot:
        yield bot


def _signed(api: ZaloStandin, raw_json: str, timestamp: str) -> tuple[bytes, dict[str, str]]:
    body = raw_json.encode("utf-8")
    return body, {"X-ZEvent-Signature": api.sign(body, timestamp), "Content-Type": "application/json"}


async def test_zalo_webhook_answers_bad_json_with_400(zalo_bot: RunningZalo, zalo_api: ZaloStandin,
                                                      rasa_rest: RasaRestStandin) -> None:
    import time

    ts = str(int(time.time() * 1000))
    surrogate = _signed(zalo_api, json.dumps({
        "app_id": zalo_api.app_id, "timestamp": ts, "event_name": "user_send_text", "sender": {"id": USER},
        "message": {"text": "xin ch\ud800o", "msg_id": "m-surrogate"}}), ts)
    deep = _signed(zalo_api, '{"event_name": "user_send_text", "timestamp": "' + ts + '", "x": '
                   + "[" * 10_000 + "]" * 10_000 + "}", ts)
    for body, headers in (surrogate, deep):
        response = await zalo_bot.post(body, headers)
        assert response.status_code == 400, response.text
    await zalo_bot.bridge.drain()
    assert rasa_rest.received == []


async def test_zalo_events_without_msg_id_are_deduplicated_by_their_signed_body(
    zalo_bot: RunningZalo, zalo_api: ZaloStandin, rasa_rest: RasaRestStandin
) -> None:
    body, headers = zalo_api.make_event({"event_name": "user_send_text", "sender": {"id": USER},
                                         "message": {"text": "Cho tôi hỏi về hồ sơ"}})
    first = await zalo_bot.post(body, headers)
    again = await zalo_bot.post(body, headers)  # Zalo re-posts what was not acknowledged in time
    assert first.status_code == 200 and "duplicate" not in first.json()
    assert again.json() == {"ok": True, "duplicate": True}
    other, other_headers = zalo_api.make_event({"event_name": "user_send_text", "sender": {"id": USER},
                                                "message": {"text": "Cho tôi hỏi thêm một việc"}})
    assert "duplicate" not in (await zalo_bot.post(other, other_headers)).json()
    await zalo_bot.bridge.drain()
    assert [m["message"] for m in rasa_rest.received] == ["Cho tôi hỏi về hồ sơ", "Cho tôi hỏi thêm một việc"]


@pytest.mark.parametrize("password", ["matkhau@2024", "Password123!", "1234567890", "qwertyuiop", "anhyeuem1995",
                                      "P@ssw0rd2024", "abcabcabcabc", "ubndtinh@123"])
def test_common_passwords_are_refused(console_env, password: str) -> None:
    accounts = console_env.app.state.console.accounts
    with pytest.raises(AccountError, match="too common"):
        accounts.add_user("can.bo-moi", password, "operator", "so-xay-dung")
    with pytest.raises(AccountError, match="too common"):
        accounts.set_password("op-a", password)


def test_an_uncommon_passphrase_is_accepted_but_not_the_user_name(console_env) -> None:
    accounts = console_env.app.state.console.accounts
    with pytest.raises(AccountError, match="too common"):
        accounts.add_user("can.bo-moi", "Can.Bo-Moi2024", "operator", "so-xay-dung")
    assert accounts.add_user("can.bo-moi", "ruong lua chin vang ap Cam Long", "operator", "so-xay-dung").active
