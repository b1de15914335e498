"""An operator sees and touches only their own agency's petitions, on every route, whatever the URL says."""
from __future__ import annotations

import pytest

from tests.fixtures_console import AGENCY_A, AGENCY_B, console_env, csrf_of  # noqa: F401 - fixtures

SECRET_B = "Bệnh viện xã Tân Biên thu thêm tiền ngoài quy định, mã bí mật BVX-991"


@pytest.fixture
def two_agencies(console_env):
    mine = console_env.petition("Cầu khỉ ấp Long Hòa bị sập, học sinh phải lội nước", commune="Long Hoa",
                                commune_code="phuong-long-hoa")
    theirs = console_env.petition(SECRET_B, agency=AGENCY_B, commune="Tân Biên", commune_code="xa-tan-bien",
                                  topic="viện phí", due_in_days=-3)
    return console_env, mine, theirs


def test_operator_queue_lists_only_their_agency_even_when_asking_for_another(two_agencies) -> None:
    env, mine, theirs = two_agencies
    client = env.client()
    env.login(client, "op-a")
    for query in ("", f"?agency={AGENCY_B}", "?status=tat-ca", f"?q=benh+vien&agency={AGENCY_B}", "?overdue=1"):
        html = client.get(f"/console/{query}").text
        assert theirs.code not in html and "thu thêm tiền" not in html, query
    assert mine.code in client.get("/console/").text


def test_operator_gets_404_on_another_agencys_petition_and_its_actions(two_agencies) -> None:
    env, mine, theirs = two_agencies
    client = env.client()
    token = csrf_of(env.login(client, "op-a").text)
    page = client.get(f"/console/p/{theirs.code}")
    assert page.status_code == 404 and "BVX-991" not in page.text
    for action, data in (("accept", {}), ("close", {}), ("reject", {"reason": "x"}), ("reopen", {"reason": "x"}),
                         ("answer", {"answer": "trả lời"}), ("deliver", {}),
                         ("reassign", {"agency": AGENCY_A, "reason": "lấy về"})):
        response = client.post(f"/console/p/{theirs.code}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    untouched = env.get(theirs.code)
    assert (untouched.status, untouched.agency, untouched.answer) == ("moi", AGENCY_B, None)
    assert env.app.state.console.audit.entries(target=theirs.code) == []


def test_operator_export_leaks_nothing_of_other_agencies(two_agencies) -> None:
    env, mine, theirs = two_agencies
    client = env.client()
    env.login(client, "op-a")
    for query in ("", f"?agency={AGENCY_B}", "?status=tat-ca", "?q=benh+vien"):
        body = client.get(f"/console/export.csv{query}").content.decode("utf-8-sig")
        assert theirs.code not in body and "BVX-991" not in body and "Tân Biên" not in body, query
    body = client.get("/console/export.csv").content.decode("utf-8-sig")
    assert mine.code in body


def test_operator_overview_counts_only_their_agency(two_agencies) -> None:
    env, mine, theirs = two_agencies
    client = env.client()
    env.login(client, "op-a")
    html = client.get("/console/overview").text
    assert "Tân Biên" not in html and "Sở Y tế" not in html
    assert "Long Hoa" in html


def test_admin_sees_every_agency(two_agencies) -> None:
    env, mine, theirs = two_agencies
    client = env.client()
    env.login(client, "admin")
    html = client.get("/console/?status=tat-ca").text
    assert mine.code in html and theirs.code in html
    assert client.get(f"/console/p/{theirs.code}").status_code == 200
    only_b = client.get(f"/console/?agency={AGENCY_B}").text
    assert theirs.code in only_b and mine.code not in only_b


def test_admin_pages_are_forbidden_to_operators(two_agencies) -> None:
    env, _, _ = two_agencies
    client = env.client()
    token = csrf_of(env.login(client, "op-a").text)
    assert client.get("/console/audit").status_code == 403
    response = client.post("/console/documents", data={"csrf_token": token})
    assert response.status_code == 403
    assert client.post("/console/documents/some-doc/remove", data={"csrf_token": token}).status_code == 403


def test_commune_operator_sees_only_their_communes_petitions(console_env) -> None:
    env = console_env
    env.add_user("ubnd-tan-ninh", "operator", "ubnd-cap-xa", commune="phuong-tan-ninh")
    mine = env.petition("Xin xác nhận tình trạng hôn nhân", agency="ubnd-cap-xa", topic="hộ tịch")
    theirs = env.petition("Hàng xóm lấn ranh đất, xin hòa giải", agency="ubnd-cap-xa", commune="Long Hoa",
                          commune_code="phuong-long-hoa", topic="hòa giải")
    client = env.client()
    html = env.login(client, "ubnd-tan-ninh").text
    assert "UBND xã/phường (phường Tân Ninh)" in html
    assert mine.code in html and theirs.code not in html
    assert theirs.code not in client.get("/console/?commune=phuong-long-hoa&status=tat-ca").text
    assert client.get(f"/console/p/{theirs.code}").status_code == 404
    assert theirs.code not in client.get("/console/export.csv?commune=phuong-long-hoa").text
    assert "Long Hoa" not in client.get("/console/overview").text
