"""Open311 against clients nobody here wrote: `georeport` 0.3.1 (reads, JSON and XML) and Code for America's
`open311` 1.1 (posts; Python 2 code loaded through tests/peers/open311_adapter.py, which says what it adapts).

The web app runs under uvicorn on 127.0.0.1 and the clients speak HTTP to it as they would to a city's 311 server.
A petition filed through Open311 appears in the operators' console, is answered there, and the answer is read back
by georeport as the request's status_notes.
"""
from __future__ import annotations

import importlib.util
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from petitions.open311_keys import PartnerKeys
from tests.fixtures_console import ConsoleEnv, build_console_env, csrf_of
from tests.standins._server import BackgroundServer

# The peers are part of the suite (`make test` installs them), so a missing one fails loudly rather than skipping.
_MISSING = [name for name in ("georeport", "open311", "xmltodict") if importlib.util.find_spec(name) is None]
if _MISSING:
    pytest.fail(f"Open311 peer clients missing ({', '.join(_MISSING)}): "
                ".venv/bin/pip install -r requirements/test-peers.txt", pytrace=False)

import georeport  # type: ignore[import-untyped]  # noqa: E402 - after the check above
import requests  # noqa: E402 - georeport's HTTP client

from tests.peers.open311_adapter import open311_class  # noqa: E402

JURISDICTION = "tayninh.gov.vn"
MATTER = "Mương thoát nước trước chợ Tân Ninh bị nghẹt, nước tràn lên đường mỗi khi mưa, đề nghị nạo vét."
ANSWER = "Sở Xây dựng đã giao đơn vị duy tu nạo vét mương trong tuần này và sẽ kiểm tra lại sau mưa."


class Peer:
    def __init__(self, env: ConsoleEnv, url: str, key: str) -> None:
        self.env = env
        self.url = url
        self.root = f"{url}/open311/v2"
        self.key = key

    def reader(self, fmt: str = "json") -> Any:
        return georeport.GeoReport(self.root, jurisdiction=JURISDICTION, output_format=fmt)

    def poster(self, fmt: str = "json", key: str | None = None) -> Any:
        return open311_class()(endpoint=self.root, api_key=key or self.key, jurisdiction=JURISDICTION, format=fmt)


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Peer]:
    env = build_console_env(tmp_path)
    env.add_user("op-xd", "operator", "so-xay-dung")
    key = PartnerKeys(env.store.engine).add("fixmystreet-tayninh", per_minute=30)[1]
    server = BackgroundServer(env.app)
    server.start()
    try:
        yield Peer(env, server.url, key)
    finally:
        server.stop()
        env.store.close()


def _drainage_service(services: list[dict[str, Any]]) -> dict[str, Any]:
    return next(s for s in services if s["service_code"].startswith("so-xay-dung__") and
                "thoát nước" in s["service_name"])


def test_georeport_reads_services_and_definitions_in_both_formats(peer: Peer) -> None:
    services = peer.reader("json").get_service_list()
    xml_services = peer.reader("xml").get_service_list()
    assert [s["service_code"] for s in services] == [s["service_code"] for s in xml_services]
    service = _drainage_service(services)
    assert service["group"] == "Sở Xây dựng" and service["metadata"] is True
    definition = peer.reader("json").get_service_definition(service["service_code"])
    xml_definition = peer.reader("xml").get_service_definition(service["service_code"])
    assert [a["code"] for a in definition["attributes"]] == ["kind", "consent"]
    assert [a["code"] for a in xml_definition["attributes"]["attribute"]] == ["kind", "consent"]
    with pytest.raises(requests.HTTPError) as missing:  # georeport raises for the status
        peer.reader("json").get_service_definition("khong-co-dich-vu")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json() == [{"code": 404, "description": "service_code 'khong-co-dich-vu' not found"}]


def test_filed_through_open311_answered_in_the_console_read_back_as_status_notes(peer: Peer) -> None:
    service = _drainage_service(peer.reader("json").get_service_list())
    posted = peer.poster("json").post_service_request(
        service_code=service["service_code"], description=MATTER, address_string="phường Tân Ninh",
        phone="0912 345 678", first_name="Lan", email="lan@example.org", **{"attribute[consent]": "yes"})
    code = posted[0]["service_request_id"]
    stored = peer.env.get(code)
    assert (stored.channel, stored.agency, stored.topic) == ("open311", "so-xay-dung", service["service_name"])
    assert stored.contact_phone == "+84912345678" and stored.due_date is not None

    before = peer.reader("json").get_service_request(code)
    assert (before["status"], before["status_notes"], before["address"]) == ("open", "Đã tiếp nhận", "phường Tân Ninh")
    assert before["service_code"] == service["service_code"] and before["expected_datetime"]

    with httpx.Client(base_url=peer.url, follow_redirects=True) as console:
        peer.env.login(cast(Any, console), "op-xd")  # an httpx.Client speaks TestClient's API
        queue = console.get("/console/")
        assert code in queue.text
        page = console.get(f"/console/p/{code}")
        assert page.status_code == 200 and "Mương thoát nước" in page.text
        answered = console.post(f"/console/p/{code}/answer", data={"csrf_token": csrf_of(page.text),
                                                                   "answer": ANSWER})
        assert answered.status_code == 200

    after_json = peer.reader("json").get_service_request(code)
    after_xml = peer.reader("xml").get_service_request(code)
    for view in (after_json, after_xml):
        assert (view["status"], view["status_notes"]) == ("closed", ANSWER)
        assert view["agency_responsible"] == "Sở Xây dựng"
    listed = {r["service_request_id"]: r for r in peer.reader("json").get_service_requests(status="closed")}
    assert listed[code]["status_notes"] == ANSWER
    body = httpx.get(f"{peer.root}/requests.json").text + httpx.get(f"{peer.root}/requests.xml").text
    for private in ("0912", "84912345678", "Lan", "lan@example.org", "Mương thoát nước", "fixmystreet"):
        assert private not in body, private


def test_open311_client_posts_and_reads_xml_and_resolves_its_token(peer: Peer) -> None:
    client = peer.poster("xml")
    posted = client.post_service_request(service_code="so-xay-dung", description=MATTER,
                                         address_string="xã Tân Biên", **{"attribute[kind]": "khieu-nai"})
    code = posted["service_requests"]["request"]["service_request_id"]
    assert peer.env.get(code).kind == "khieu-nai" and peer.env.get(code).contact_phone is None
    assert client.request_id_from_token(code)["service_request_id"] == code
    assert client.get_service_request(code)["service_requests"]["request"]["address"] == "xã Tân Biên"
    assert code in {r["service_request_id"] for r in _as_list(client.service_requests())}
    assert any(s["service_code"] == "so-xay-dung" for s in client.service_list())


def _as_list(value: Any) -> list[dict[str, Any]]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_client_sees_the_spec_errors(peer: Peer, fmt: str) -> None:
    def post_error(client: Any, **fields: str) -> tuple[int, str]:
        with pytest.raises(urllib.error.HTTPError) as caught:
            client.post_service_request(**fields)
        return caught.value.code, caught.value.read().decode()

    good = {"service_code": "so-xay-dung", "description": MATTER, "address_string": "phường Tân Ninh"}
    status, body = post_error(peer.poster(fmt, key="dv311_wrong"), **good)
    assert status == 403 and "api_key" in body
    status, body = post_error(peer.poster(fmt), **{**good, "description": ""})
    assert status == 400 and "description:" in body
    status, body = post_error(peer.poster(fmt), **{**good, "service_code": "so-khong-co"})
    assert status == 404 and "service_code" in body
    if fmt == "xml":
        assert body.startswith("<?xml") and "<errors><error><code>404</code>" in body
    assert peer.env.store.count() == 0
