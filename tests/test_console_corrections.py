"""Routing corrections: operators' reassignments become labelled examples the routing evaluation reads."""
from __future__ import annotations

import json

from petitions.evaluation import read_labelled
from tests.fixtures_console import AGENCY_A, AGENCY_B, csrf_of, make_console_env  # noqa: F401 - fixtures


def reassign(client, code: str, agency: str, reason: str) -> None:
    page = client.get(f"/console/p/{code}").text
    client.post(f"/console/p/{code}/reassign", data={"csrf_token": csrf_of(page), "agency": agency,
                                                     "reason": reason})


def test_reassignments_export_as_routing_examples(make_console_env, tmp_path) -> None:
    env = make_console_env()
    moved_twice = env.petition("Trạm y tế xã đóng cửa trong giờ hành chính", confidence=0.41)
    moved_once = env.petition("Bệnh viện huyện thu thêm tiền ngoài viện phí", confidence=0.38)
    secret = env.petition("Tố cáo cán bộ địa chính nhận tiền của tôi", kind="to-cao")
    untouched = env.petition("Đường ấp 2 bị sụt lún")
    admin = env.client()
    env.login(admin, "admin")
    reassign(admin, moved_twice.code, "thanh-tra-tinh", "Nhầm: có yếu tố cán bộ")
    reassign(admin, moved_twice.code, AGENCY_B, "Thực ra là việc của ngành y tế")
    reassign(admin, moved_once.code, AGENCY_B, "Việc của ngành y tế")
    reassign(admin, secret.code, "thanh-tra-tinh", "Tố cáo cán bộ")

    response = admin.get("/console/routing-corrections.jsonl")
    assert response.status_code == 200
    rows = {r["id"]: r for r in map(json.loads, response.text.splitlines())}
    assert set(rows) == {moved_twice.code, moved_once.code}  # no denunciation, nothing not corrected
    assert untouched.code not in rows
    first = rows[moved_twice.code]
    assert (first["routed_to"], first["agency"]) == (AGENCY_A, AGENCY_B)
    assert first["reason"] == "Nhầm: có yếu tố cán bộ | Thực ra là việc của ngành y tế"
    assert first["text"] == moved_twice.text and first["confidence"] == 0.41
    # The routing evaluation (`danvan eval routing FILE`) reads the file as it is.
    path = tmp_path / "corrections.jsonl"
    path.write_text(response.text, encoding="utf-8")
    assert [r["agency"] for r in read_labelled(path)] == [rows[c]["agency"] for c in rows]
    # Operators cannot download it; the download itself is audited.
    operator = env.client()
    env.login(operator, "op-a")
    assert operator.get("/console/routing-corrections.jsonl").status_code == 403
    assert "Dữ liệu sửa định tuyến" in admin.get("/console/audit?action=export").text


def test_a_petition_confirmed_out_of_the_triage_queue_is_a_correction(make_console_env) -> None:
    env = make_console_env()
    unsure = env.petition("Nhà văn hóa ấp bỏ hoang, không ai quản lý", confidence=0.2)
    assert env.store.mark_for_triage(unsure.code)
    admin = env.client()
    env.login(admin, "admin")
    page = admin.get(f"/console/p/{unsure.code}").text
    admin.post(f"/console/p/{unsure.code}/confirm-agency",
               data={"csrf_token": csrf_of(page), "agency": AGENCY_B, "reason": "Việc của ngành văn hóa"})
    rows = [json.loads(line) for line in admin.get("/console/routing-corrections.jsonl").text.splitlines()]
    assert [(r["id"], r["routed_to"], r["agency"], r["reason"]) for r in rows] == [
        (unsure.code, AGENCY_A, AGENCY_B, "Việc của ngành văn hóa")]
