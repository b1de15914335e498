"""Accounts of the console as an operator meets them: login, lockout, logout, CSRF, and `danvan user add`."""
from __future__ import annotations

import io
import sys

import pytest

from tests.fixtures_console import (  # noqa: F401 - fixtures
    AGENCY_A,
    PASSWORD,
    console_env,
    csrf_of,
    make_console_env,
)


def test_console_pages_need_login(console_env) -> None:
    client = console_env.client()
    code = console_env.petition().code
    for path in ("/console/", f"/console/p/{code}", "/console/overview", "/console/export.csv",
                 "/console/documents", "/console/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=")
    assert console_env.petition().text not in client.get("/console/export.csv").text


def test_login_sets_a_strict_session_cookie_and_logout_ends_it(console_env) -> None:
    client = console_env.client()
    response = console_env.login(client, "op-a")
    assert response.status_code == 200
    assert "Hồ sơ phản ánh, kiến nghị" in response.text
    cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if h.startswith("danvan_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    token = client.cookies.get("danvan_console")

    logout = client.post("/console/logout", data={"csrf_token": csrf_of(response.text)})
    assert "Đăng nhập dành cho cán bộ xử lý" in logout.text
    # The old cookie is worthless once logged out: the session is gone from the server.
    replay = console_env.client()
    replay.cookies.set("danvan_console", token, path="/console")
    assert replay.get("/console/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(console_env) -> None:
    client = console_env.client()
    wrong_pw = console_env.login(client, "op-a", "sai-mat-khau-123")
    unknown = console_env.login(client, "khong-ton-tai", PASSWORD)
    for response in (wrong_pw, unknown):
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert "danvan_console" not in client.cookies


def test_repeated_failures_lock_the_account(make_console_env) -> None:
    env = make_console_env(lockout_failures=3)
    client = env.client()
    for _ in range(3):
        assert env.login(client, "op-a", "sai-mat-khau-123").status_code == 401
    locked = env.login(client, "op-a")  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "tạm thời bị khóa" in locked.text
    assert "danvan_console" not in client.cookies
    # Another account is not affected, and an admin's unlock opens it again.
    assert env.login(env.client(), "op-b").status_code == 200
    env.app.state.console.accounts.unlock("op-a")
    assert env.login(client, "op-a").status_code == 200


def test_posts_without_the_csrf_token_are_rejected(console_env) -> None:
    record = console_env.petition()
    client = console_env.client()
    page = console_env.login(client, "op-a")
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/console/p/{record.code}/accept", data=data)
        assert response.status_code == 403
        assert "Yêu cầu không hợp lệ" in response.text
    assert console_env.get(record.code).status == "moi"
    # A cross-site form post carrying a valid token but another Origin is refused too.
    response = client.post(f"/console/p/{record.code}/accept", data={"csrf_token": csrf_of(page.text)},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert console_env.get(record.code).status == "moi"
    # The same post from the page itself works.
    response = client.post(f"/console/p/{record.code}/accept", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and console_env.get(record.code).status == "dang-xu-ly"


def test_login_form_needs_its_csrf_token(console_env) -> None:
    client = console_env.client()
    response = client.post("/console/login", data={"username": "op-a", "password": PASSWORD})
    assert response.status_code == 403
    assert "danvan_console" not in client.cookies


def test_login_never_redirects_off_site(console_env) -> None:
    client = console_env.client()
    page = client.get("/console/login?next=https://evil.example/")
    response = client.post("/console/login", follow_redirects=False, data={
        "username": "op-a", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/console/"


def test_console_pages_carry_security_headers(console_env) -> None:
    client = console_env.client()
    response = console_env.login(client, "admin")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


def test_cli_user_add_creates_an_operator_who_can_log_in(tmp_path, monkeypatch, capsys) -> None:
    from console.app import create_console_app
    from danvan.cli import main
    from danvan.commands.web import web_config
    from danvan.settings import load_settings

    monkeypatch.setenv("DANVAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "Can.Bo-01", "--role", "operator", "--agency", AGENCY_A, "--password-stdin"]) == 0
    assert "created operator 'can.bo-01'" in capsys.readouterr().out

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "can.bo-01", "--role", "operator", "--agency", AGENCY_A, "--password-stdin"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["user", "add", "thieu-co-quan", "--role", "operator", "--password-stdin"]) == 2
    assert "--agency" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("ngan\n"))
    assert main(["user", "add", "ngan", "--role", "admin", "--password-stdin"]) == 2
    assert "at least 10" in capsys.readouterr().err

    from starlette.testclient import TestClient

    app = create_console_app(web_config(load_settings()))
    client = TestClient(app)
    page = client.get("/console/login")
    response = client.post("/console/login", data={"username": "can.bo-01", "password": PASSWORD,
                                                    "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "can.bo-01" in response.text


@pytest.mark.parametrize("path", ["/", "/healthz"])
def test_public_pages_still_work(console_env, path: str) -> None:
    response = console_env.client().get(path)
    assert response.status_code == 200
    assert ("Tin nhắn của bạn" in response.text) if path == "/" else (response.text == "ok")
