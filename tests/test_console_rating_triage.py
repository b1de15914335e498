"""The console side of dân giám sát and triage: the citizen's reopen reason on the petition page, satisfaction and
reopen rates on the overview, and "Xác nhận cơ quan" for a petition waiting in the triage queue."""
from __future__ import annotations

from petitions.outbox import Outbox, OutboxPolicy
from tests.fixtures_console import AGENCY_A, AGENCY_B, console_env, csrf_of  # noqa: F401 - fixtures

ANSWER = "Đã nạo vét toàn bộ tuyến cống ấp 3 ngày 02/12."


def _answered(env, sender: str) -> str:
    record = env.petition(sender_id=sender)
    env.store.set_answer(record.code, ANSWER, "op-a")
    return record.code


def test_a_reopened_petition_shows_the_citizens_reason(console_env) -> None:
    code = _answered(console_env, "telegram:801")
    console_env.store.rate(code, "telegram:801", verdict="unresolved", reason="đường vẫn ngập sau mưa")
    client = console_env.client()
    console_env.login(client, "op-a")
    html = client.get(f"/console/p/{code}").text
    assert "Chưa giải quyết" in html and "hồ sơ được mở lại" in html
    assert "Lý do người dân nêu: đường vẫn ngập sau mưa" in html
    assert "Đang xử lý" in html


def test_the_overview_shows_satisfaction_and_reopen_rates_per_agency(console_env) -> None:
    for i, verdict in enumerate(["resolved", "resolved", "resolved", "unresolved"]):
        sender = f"telegram:81{i}"
        console_env.store.rate(_answered(console_env, sender), sender, verdict=verdict)
    client = console_env.client()
    console_env.login(client, "admin")
    html = client.get("/console/overview").text
    table = html[html.index('id="rating-rates"'):]
    table = table[:table.index("</table>")]
    assert "Sở Xây dựng" in table and "75% <small" in table and "(3/4)" in table and "25% <small" in table


def test_confirming_the_agency_of_a_triaged_petition_takes_it_out_of_the_queue(console_env) -> None:
    record = console_env.petition(confidence=0.21)
    assert console_env.store.mark_for_triage(record.code)
    client = console_env.client()
    console_env.login(client, "op-a")
    page = client.get(f"/console/p/{record.code}")
    assert "chờ phân loại" in page.text and "Xác nhận cơ quan" in page.text
    response = client.post(f"/console/p/{record.code}/confirm-agency",
                           data={"csrf_token": csrf_of(page.text), "agency": AGENCY_B, "reason": ""})
    assert f"Đã xác nhận cơ quan giải quyết hồ sơ {record.code}: Sở Y tế." in response.text
    assert console_env.get(record.code).agency == AGENCY_B
    assert console_env.store.awaiting_triage([record.code]) == set()
    # The citizen hears of the agency now: the reassignment notice names it (sent by the outbox worker).
    [notice] = Outbox(console_env.store.engine, OutboxPolicy()).claim()
    assert (notice.code, notice.event, notice.agency) == (record.code, "reassigned", AGENCY_B)
    entry = console_env.app.state.console.audit.entries(target=record.code)[0]
    assert (entry.action, entry.before["agency"], entry.after["agency"]) == ("confirm-agency", AGENCY_A, AGENCY_B)
    # Confirming once more is refused: the petition is no longer waiting.
    other = console_env.client()
    console_env.login(other, "op-b")
    page = other.get(f"/console/p/{record.code}")
    assert "chờ phân loại" not in page.text and 'id="confirm-agency-form"' not in page.text


def test_the_queue_filters_the_petitions_waiting_for_classification(console_env) -> None:
    waiting = console_env.petition(confidence=0.21)
    assert console_env.store.mark_for_triage(waiting.code)
    placed = console_env.petition(confidence=0.93)
    client = console_env.client()
    console_env.login(client, "admin")
    only = client.get("/console/?triage=1").text
    assert waiting.code in only and placed.code not in only
    everything = client.get("/console/").text
    assert waiting.code in everything and placed.code in everything
