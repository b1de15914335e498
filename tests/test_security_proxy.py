"""Issue 12 §7: X-Forwarded-For is believed only from configured proxies, the audit log records the real client,
and failures from one address slow it down without refusing a correct password (one proxy, many operators)."""
from __future__ import annotations

import time

from starlette.testclient import TestClient

from console.security import parse_networks, real_client
from tests.fixtures_console import PASSWORD, csrf_of, make_console_env  # noqa: F401 - fixtures


def _login(client: TestClient, username: str, password: str = PASSWORD, **headers: str):
    page = client.get("/console/login")
    return client.post("/console/login", headers=headers, data={
        "username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/console/"})


def test_real_client_reads_forwarded_for_only_from_trusted_proxies() -> None:
    trusted = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    assert real_client("127.0.0.1", ["6.6.6.6"], ()) == "127.0.0.1"  # nothing trusted: the peer
    assert real_client("203.0.113.9", ["6.6.6.6"], trusted) == "203.0.113.9"  # peer is no proxy of ours
    # The client's own "X-Forwarded-For: 6.6.6.6" stays on the left; the proxy appended the address it saw.
    assert real_client("127.0.0.1", ["6.6.6.6, 198.51.100.4"], trusted) == "198.51.100.4"
    assert real_client("127.0.0.1", ["6.6.6.6, 198.51.100.4, 10.1.2.3"], trusted) == "198.51.100.4"
    assert real_client("127.0.0.1", ["6.6.6.6", "198.51.100.4:5000"], trusted) == "198.51.100.4"


def test_without_trusted_proxies_forwarded_for_is_ignored_in_the_audit_log(make_console_env) -> None:
    env = make_console_env()
    client = TestClient(env.app, client=("127.0.0.1", 40000), follow_redirects=True)
    assert _login(client, "admin", **{"X-Forwarded-For": "6.6.6.6"}).status_code == 200
    entry = env.app.state.console.audit.entries()[0]
    assert entry.action == "login" and entry.client == "127.0.0.1"


def test_behind_a_trusted_proxy_the_audit_log_records_the_client_the_proxy_saw(make_console_env) -> None:
    env = make_console_env(trusted_proxies=("127.0.0.1",))
    client = TestClient(env.app, client=("127.0.0.1", 40000), follow_redirects=True)
    # The attacker sends its own header; the proxy appends the address it really saw.
    assert _login(client, "admin", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.4"}).status_code == 200
    assert env.app.state.console.audit.entries()[0].client == "198.51.100.4"


def test_failures_from_one_address_delay_but_never_refuse_a_correct_password(make_console_env) -> None:
    from console.accounts import LockoutPolicy

    env = make_console_env()
    accounts = env.app.state.console.accounts
    accounts.lockout = LockoutPolicy(client_free_failures=3, client_delay_s=0.2, client_max_delay_s=0.4)
    client = TestClient(env.app, client=("192.0.2.10", 40000), follow_redirects=True)
    # Someone behind the same proxy tries 25 names (never 5 on one name, so no name is locked).
    for i in range(25):
        assert _login(client, f"nguoi-la-{i}", "sai-mat-khau-123").status_code == 401
    started = time.monotonic()
    response = _login(client, "op-a")  # an operator behind the same address, right password
    waited = time.monotonic() - started
    assert response.status_code == 200 and "danvan_console" in client.cookies
    assert waited >= 0.4  # slowed down, not locked out
    assert accounts.client_delay("192.0.2.10") == 0.4
    assert accounts.client_delay("192.0.2.11") == 0.0  # other addresses are not slowed
