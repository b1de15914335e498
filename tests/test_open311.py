"""Open311 GeoReport v2 (/open311/v2/): the app's own checks of the formats, the errors, the keys and the privacy of
what is published. The same endpoints are read and written by third-party clients in tests/test_open311_peers.py."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from petitions.open311_catalog import Catalogue, slug
from petitions.open311_keys import PartnerKeys, PartnerRow
from petitions.routing_table import RoutingTable
from tests.fixtures_console import AGENCIES_FILE, ConsoleEnv, build_console_env

BASE = "/open311/v2"
MATTER = "Đường vào ấp 3 bị sụt lún nặng sau mưa, xe máy không qua được, đề nghị sửa chữa."
PHONE = "0912345678"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[ConsoleEnv]:
    env = build_console_env(tmp_path)
    yield env
    env.store.close()


@pytest.fixture
def key(env: ConsoleEnv) -> str:
    return PartnerKeys(env.store.engine).add("fixmystreet", per_minute=20)[1]


def _post(client, key: str | None, fmt: str = "json", **fields: str):  # noqa: ANN001, ANN202
    data = {"service_code": "so-xay-dung", "description": MATTER, "address_string": "phường Tân Ninh", **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def _errors_xml(text: str) -> list[tuple[int, str]]:
    root = ET.fromstring(text)
    assert root.tag == "errors"
    return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root.findall("error")]


# -- services -------------------------------------------------------------------------------------------------------


def test_services_are_the_routing_tables_agency_topic_pairs(env: ConsoleEnv) -> None:
    table = RoutingTable.load(AGENCIES_FILE)
    with env.client() as client:
        services = client.get(f"{BASE}/services.json").json()
        xml = ET.fromstring(client.get(f"{BASE}/services.xml").text)
    codes = [s["service_code"] for s in services]
    assert len(codes) == len(set(codes))
    assert [e.findtext("service_code") for e in xml.findall("service")] == codes
    example = next(a for a in table.agencies if a.code == "so-xay-dung").examples[0]
    wanted = f"so-xay-dung__{slug(example.topic)}"
    service = next(s for s in services if s["service_code"] == wanted)
    assert service["service_name"] == example.topic and service["group"] == "Sở Xây dựng"
    assert service["metadata"] is True and service["type"] == "realtime"
    assert {a.code for a in table.agencies} <= set(codes)  # a general service per agency, and the triage one
    assert all(c == table.fallback or not c.startswith(table.fallback + "__") for c in codes)


def test_service_definition_in_both_formats_and_unknown_codes(env: ConsoleEnv) -> None:
    with env.client() as client:
        definition = client.get(f"{BASE}/services/so-xay-dung.json").json()
        assert definition["service_code"] == "so-xay-dung"
        kinds = next(a for a in definition["attributes"] if a["code"] == "kind")
        assert {v["key"] for v in kinds["values"]} == {"khieu-nai", "to-cao", "phan-anh-kien-nghi"}
        xml = ET.fromstring(client.get(f"{BASE}/services/so-xay-dung.xml").text)
        assert xml.tag == "service_definition"
        assert [a.findtext("code") for a in xml.find("attributes").findall("attribute")] == ["kind", "consent"]
        missing = client.get(f"{BASE}/services/khong-co.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        missing_xml = client.get(f"{BASE}/services/khong-co.xml")
        assert missing_xml.status_code == 404 and _errors_xml(missing_xml.text)[0][0] == 404
        assert client.get(f"{BASE}/services.html").status_code == 404
        other = client.get(f"{BASE}/services.json", params={"jurisdiction_id": "hanoi.gov.vn"})
        assert other.status_code == 404 and "jurisdiction_id" in other.json()[0]["description"]
        assert client.get(f"{BASE}/services.json", params={"jurisdiction_id": "tayninh.gov.vn"}).status_code == 200


# -- filing and bad input ---------------------------------------------------------------------------------------------


def test_a_post_files_through_the_petition_service_once(env: ConsoleEnv, key: str) -> None:
    with env.client() as client:
        first = _post(client, key, phone=PHONE, **{"attribute[consent]": "yes"})
        again = _post(client, key, phone=PHONE, **{"attribute[consent]": "yes"})
    assert first.status_code == 201, first.text
    code = first.json()[0]["service_request_id"]
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == code  # a retried POST
    record = env.get(code)
    assert (record.channel, record.agency, record.commune_code) == ("open311", "so-xay-dung", "phuong-tan-ninh")
    assert record.contact_phone == "+84912345678" and record.consent_given
    assert "fixmystreet" in record.consent_text and record.due_date is not None
    assert "Sở Xây dựng" in first.json()[0]["service_notice"]


def test_anonymous_filing_keeps_no_contact_and_tells_the_kind(env: ConsoleEnv, key: str) -> None:
    with env.client() as client:
        response = _post(client, key, "xml", **{"attribute[kind]": "to-cao", "account_id": "user-77"})
    assert response.status_code == 201
    code = ET.fromstring(response.text).find("request").findtext("service_request_id")
    record = env.get(code)
    assert not record.consent_given and record.contact_phone is None and record.sender_id is None
    assert record.kind == "to-cao" and record.delivery_state == "not-deliverable"


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("given", [None, "", "dv311_not-a-real-key", "something-else"])
def test_a_wrong_or_missing_api_key_gets_403(env: ConsoleEnv, key: str, fmt: str, given: str | None) -> None:
    with env.client() as client:
        response = _post(client, given, fmt)
    assert response.status_code == 403
    errors = response.json() if fmt == "json" else [{"code": c, "description": d}
                                                    for c, d in _errors_xml(response.text)]
    assert errors[0]["code"] == 403 and "api_key" in errors[0]["description"]
    assert env.store.count() == 0


def test_a_revoked_key_stops_working(env: ConsoleEnv, key: str) -> None:
    PartnerKeys(env.store.engine).revoke("fixmystreet")
    with env.client() as client:
        assert _post(client, key).status_code == 403


@pytest.mark.parametrize(("fields", "named"), [
    ({"service_code": ""}, "service_code"),
    ({"description": None}, "description"),
    ({"description": "ngắn"}, "description"),
    ({"address_string": None}, "address_string"),
    ({"phone": PHONE}, "phone"),  # a phone without the citizen's consent
    ({"phone": "12345", "attribute[consent]": "yes"}, "phone"),
    ({"attribute[kind]": "kien-cao"}, "attribute[kind]"),
    ({"attribute[consent]": "maybe"}, "attribute[consent]"),
    ({"account_id": "has space"}, "account_id"),
])
def test_a_post_missing_or_with_bad_fields_gets_400_naming_the_field(env: ConsoleEnv, key: str, fields, named) -> None:
    with env.client() as client:
        response = _post(client, key, **fields)
    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == 400 and response.json()[0]["description"].startswith(named + ":")
    assert env.store.count() == 0


def test_an_unknown_service_code_gets_404(env: ConsoleEnv, key: str) -> None:
    with env.client() as client:
        response = _post(client, key, "xml", service_code="so-khong-ton-tai")
    assert response.status_code == 404
    assert "service_code" in _errors_xml(response.text)[0][1]


def test_each_key_has_its_rate_limit(env: ConsoleEnv) -> None:
    keys = PartnerKeys(env.store.engine)
    slow = keys.add("slow-partner", per_minute=2)[1]
    other = keys.add("other-partner", per_minute=2)[1]
    with env.client() as client:
        codes = [_post(client, slow, description=f"{MATTER} Lần {i}.").status_code for i in range(3)]
        limited = _post(client, slow, "xml", description=f"{MATTER} Lần 9.")
        assert _post(client, other).status_code == 201  # another key has its own allowance
    assert codes == [201, 201, 429]
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert _errors_xml(limited.text)[0][0] == 429


# -- reads: public fields only ----------------------------------------------------------------------------------------


def test_requests_show_public_fields_only(env: ConsoleEnv, key: str) -> None:
    denunciation = env.petition("Tôi tố cáo cán bộ địa chính Nguyễn Văn Bê nhận tiền của dân, số nhà 12 ấp 3.",
                                kind="to-cao", agency="thanh-tra-tinh", phone="+84987654321",
                                sender_id="telegram:777001", topic="tố cáo cán bộ nhận hối lộ, tham nhũng")
    anonymous = env.petition("Đèn đường khu phố 4 hư cả tháng nay, buổi tối rất tối.", consent=False,
                             commune="nhà ông Ba ấp 3", commune_code=None)
    answered = env.petition("Rác thải ứ đọng ở chợ, đề nghị thu gom.", sender_id="zalo:99")
    env.store.set_answer(answered.code, "Đã yêu cầu công ty môi trường thu gom; gọi ông Tư 0911222333.", "op-a")
    with env.client() as client:
        listing = client.get(f"{BASE}/requests.json")
        xml = client.get(f"{BASE}/requests.xml").text
    assert listing.status_code == 200
    body = listing.text + xml
    for secret in ("Nguyễn Văn Bê", "0987654321", "84987654321", "telegram:777001", "Đèn đường", "nhà ông Ba",
                   "zalo:99", "0911222333", "Rác thải", "Đồng ý"):
        assert secret not in body, secret
    views = {v["service_request_id"]: v for v in listing.json()}
    assert set(views) == {denunciation.code, anonymous.code, answered.code}
    assert views[denunciation.code]["description"] is None
    assert views[denunciation.code]["service_code"] == "thanh-tra-tinh__to-cao-can-bo-nhan-hoi-lo-tham-nhung"
    assert views[anonymous.code]["address"] is None  # a commune typed but not matched is free text
    assert views[answered.code]["address"] == "phường Tân Ninh"
    assert (views[answered.code]["status"], views[answered.code]["status_notes"]) == ("closed", "Đã trả lời")
    assert views[anonymous.code]["expected_datetime"].endswith("+07:00")


def test_the_answer_of_an_open311_tố_cáo_is_never_published(env: ConsoleEnv, key: str) -> None:
    with env.client() as client:
        code = _post(client, key, **{"attribute[kind]": "to-cao"}).json()[0]["service_request_id"]
        env.store.set_answer(code, "Kết quả xác minh: ông X đã bị kỷ luật.", "op-a")
        view = client.get(f"{BASE}/requests/{code}.json").json()[0]
    assert view["status"] == "closed" and "ông X" not in json.dumps(view, ensure_ascii=False)


def test_request_filters_and_errors(env: ConsoleEnv, key: str) -> None:
    a = env.petition()
    b = env.petition(agency="so-y-te", topic="một chủ đề không có trong bảng")
    env.store.set_answer(b.code, "Đã trả lời.", "op-b")
    with env.client() as client:
        def ids(**params: str) -> set[str]:
            response = client.get(f"{BASE}/requests.json", params=params)
            assert response.status_code == 200, response.text
            return {v["service_request_id"] for v in response.json()}

        assert ids(status="open") == {a.code}
        assert ids(status="closed") == {b.code}
        assert ids(status="open,closed") == {a.code, b.code}
        assert ids(service_code="so-y-te") == {b.code}
        assert ids(service_request_id=f"{a.code},{b.code},TN-0000-0000") == {a.code, b.code}
        old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert ids(end_date=old) == set()
        wide = client.get(f"{BASE}/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                            "end_date": "2026-12-31T00:00:00Z"})
        assert wide.status_code == 400 and wide.json()[0]["description"].startswith("start_date:")
        assert client.get(f"{BASE}/requests.json", params={"status": "pending"}).status_code == 400
        assert client.get(f"{BASE}/requests.json", params={"service_code": "nope"}).status_code == 404
        one = client.get(f"{BASE}/requests/{a.code}.xml")
        assert ET.fromstring(one.text).find("request").findtext("service_request_id") == a.code
        assert client.get(f"{BASE}/requests/TN-0000-0000.json").status_code == 404
        token = client.get(f"{BASE}/tokens/{a.code}.json").json()
        assert token == [{"service_request_id": a.code, "token": a.code}]


# -- keys and their table -------------------------------------------------------------------------------------------


def test_keys_are_stored_hashed_and_shown_once(env: ConsoleEnv) -> None:
    keys = PartnerKeys(env.store.engine)
    partner, key = keys.add("seeclickfix")
    assert key.startswith("dv311_") and len(key) > 40
    with env.store.engine.connect() as conn:
        stored = [tuple(str(v) for v in row) for row in conn.exec_driver_sql("SELECT * FROM open311_partner")]
    assert not any(key in value for row in stored for value in row)
    assert keys.check(key).name == "seeclickfix"
    _, new_key = keys.rotate("seeclickfix")
    assert keys.check(key) is None and keys.check(new_key).name == "seeclickfix"
    with pytest.raises(ValueError):
        keys.add("seeclickfix")
    with pytest.raises(ValueError):
        keys.add("Bad Name")


def test_partner_table_migration_matches_its_model(env: ConsoleEnv) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from petitions.migrations import VERSION_TABLE

    env.store.migrate()  # idempotent
    with env.store.engine.connect() as conn:
        assert "open311_partner" in inspect(conn).get_table_names()
        only_ours = {"include_name": lambda name, kind, _parent: kind != "table" or name == "open311_partner"}
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, **only_ours})
        diff = compare_metadata(context, PartnerRow.metadata)
    assert diff == []


def test_danvan_partner_command_issues_lists_and_revokes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from danvan.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("DANVAN_VAR_DIR", str(tmp_path / "var"))
    assert main(["partner", "add", "fixmystreet", "--per-minute", "7"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["partner", "list"]) == 0
    listing = capsys.readouterr().out
    assert "fixmystreet" in listing and "7/min" in listing and key not in listing
    assert main(["partner", "add", "fixmystreet"]) == 2
    assert main(["partner", "revoke", "fixmystreet"]) == 0
    from petitions.store import PetitionStore

    store = PetitionStore(f"sqlite:///{tmp_path / 'p.db'}")
    assert PartnerKeys(store.engine).check(key) is None
    store.close()


def test_catalogue_maps_stored_topics_back_to_services() -> None:
    catalogue = Catalogue(RoutingTable.load(AGENCIES_FILE))
    assert catalogue.get("chua-phan-loai") is not None
    assert all(s.agency in catalogue.table.codes for s in catalogue.services)


def test_an_answer_has_no_chat_to_go_to_and_is_published_as_status_notes(tmp_path: Path) -> None:
    from bot.delivery import build_deliverer
    from tests.fixtures_console import csrf_of

    env = build_console_env(tmp_path, deliverer=build_deliverer())
    key = PartnerKeys(env.store.engine).add("fixmystreet")[1]
    env.add_user("op-a", "operator", "so-xay-dung")
    with env.client() as client:
        code = _post(client, key, phone=PHONE, **{"attribute[consent]": "yes"}).json()[0]["service_request_id"]
        env.login(client, "op-a")
        page = client.get(f"/console/p/{code}")
        assert page.status_code == 200 and "open311" in page.text
        client.post(f"/console/p/{code}/answer", data={"csrf_token": csrf_of(page.text), "answer": "Đã sửa xong."})
        view = client.get(f"{BASE}/requests/{code}.json").json()[0]
    assert env.get(code).delivery_state == "failed"  # like the web chat: no sender for this channel
    assert (view["status"], view["status_notes"]) == ("closed", "Đã sửa xong.")
    env.store.close()
