"""The audit page: failed logins and lockouts are listed; filters by user, action, petition and date combine; pages
are cut in SQL with the total shown."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from console.audit import AuditLog
from tests.fixtures_console import csrf_of, make_console_env, today  # noqa: F401 - fixtures


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="a-([a-z-]+)">', html)


def test_failed_logins_and_the_lockout_are_in_the_audit_log(make_console_env) -> None:
    env = make_console_env(lockout_failures=2)
    stranger = env.client()
    for _ in range(2):
        env.login(stranger, "op-a", "mat-khau-sai-hoan-toan")
    env.login(stranger, "op-a")  # the right password, but the name is locked now
    admin = env.client()
    env.login(admin, "admin")
    html = admin.get("/console/audit?action=dang-nhap-that-bai").text
    assert rows(html) == ["login-blocked", "lockout", "login-failed", "login-failed"]
    assert "Khóa tài khoản tạm thời" in html and "Khóa đến" in html and "Đăng nhập sai" in html
    assert "4 mục phù hợp" in html
    assert "mat-khau" not in html  # the password typed is never logged


def test_filters_combine_and_pages_are_cut_in_sql(make_console_env) -> None:
    env = make_console_env()
    first, second = env.petition(), env.petition("Đèn đường không sáng")
    log = env.app.state.console.audit
    for i in range(230):
        log.record("op-a", "accept" if i % 2 else "answer", first.code if i % 3 else second.code,
                   agency="so-xay-dung")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    AuditLog(env.store.engine, clock=lambda: long_ago).record("op-b", "accept", first.code, agency="so-y-te")
    admin = env.client()
    env.login(admin, "admin")

    html = admin.get(f"/console/audit?user=op-a&action=accept&code={first.code.lower()}").text
    matching = sum(1 for i in range(230) if i % 2 and i % 3)
    assert f"{matching} mục phù hợp" in html and set(rows(html)) == {"accept"} and len(rows(html)) == matching

    everything = admin.get("/console/audit").text
    total = int(re.search(r"(\d+) mục phù hợp", everything).group(1))
    assert total >= 231 and len(rows(everything)) == 100 and f"Trang 1/{-(-total // 100)}" in everything
    last = admin.get(f"/console/audit?page={-(-total // 100)}").text
    assert len(rows(last)) == total - 100 * (-(-total // 100) - 1)

    day = today()
    old = admin.get(f"/console/audit?to={(day - timedelta(days=30)).isoformat()}").text
    assert rows(old) == ["accept"] and "op-b" in old
    recent = admin.get(f"/console/audit?from={day.isoformat()}&user=op-b").text
    assert rows(recent) == [] and "0 mục phù hợp" in recent
