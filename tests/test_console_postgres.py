"""The console on PostgreSQL (DATABASE_URL): its own tables beside the petitions store, same behaviour as SQLite."""
from __future__ import annotations

import os
import secrets

import pytest

from tests.fixtures_console import AGENCY_B, build_console_env, csrf_of

ADMIN_URL = os.environ.get("DANVAN_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url():
    """A fresh database for this test, dropped afterwards; skipped when PostgreSQL is not running."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"console_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {type(exc).__name__}")
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_console_works_on_postgresql(tmp_path, pg_url) -> None:
    env = build_console_env(tmp_path, database_url=pg_url, lockout_failures=2)
    try:
        env.add_user("admin", "admin", None)
        env.add_user("op-a", "operator")
        mine = env.petition("Ổ gà lớn giữa đường tỉnh 781")
        theirs = env.petition("Trạm y tế đóng cửa giờ hành chính", agency=AGENCY_B)
        client = env.client()
        for _ in range(2):
            assert env.login(client, "op-a", "sai-mat-khau-123").status_code == 401
        assert env.login(client, "op-a").status_code == 429
        env.app.state.console.accounts.unlock("op-a")
        page = env.login(client, "op-a")
        assert mine.code in page.text and theirs.code not in page.text
        assert client.get(f"/console/p/{theirs.code}").status_code == 404
        client.post(f"/console/p/{mine.code}/answer", data={"csrf_token": csrf_of(page.text),
                                                            "answer": "Đã vá ổ gà."})
        assert env.get(mine.code).answer == "Đã vá ổ gà."
        assert env.app.state.console.audit.entries(target=mine.code)[0].action == "answer"
        body = client.get("/console/export.csv?status=tat-ca").content.decode("utf-8-sig")
        assert mine.code in body and theirs.code not in body
        assert "<svg" in client.get("/console/overview").text
    finally:
        env.store.close()
