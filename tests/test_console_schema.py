"""The console's tables under the petitions store's Alembic migrations (since 0006), on SQLite and PostgreSQL:
a new database gets exactly the tables console/tables.py declares, and a database whose console tables an older
version made with `create_all` upgrades in place, keeping its accounts and audit log."""
from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from console.accounts import Accounts
from console.audit import AuditLog
from console.tables import ConsoleBase
from petitions.migrations import VERSION_TABLE, alembic_config, upgrade
from petitions.store import PetitionStore
from tests.fixtures_petitions import store_url  # noqa: F401 - fixture

PASSWORD = "mat-khau-thu-nghiem-1"


def console_drift(engine: Engine) -> list:
    """Differences between the database's console tables and console/tables.py (other tables left aside)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        return [d for d in compare_metadata(context, ConsoleBase.metadata) if _table_of(d).startswith("console_")]


def _table_of(diff: tuple | list) -> str:
    """The table a compare_metadata entry is about (a modify_* entry comes as a list of tuples)."""
    entry = diff[0] if isinstance(diff, list) else diff
    for part in entry[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        name = getattr(part, "name", None)
        if entry[0].endswith("_table") and name:
            return name
        if isinstance(part, str) and part.startswith("console_"):
            return part
    return ""


def head(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()


def newest() -> str:
    """The newest revision of the migrations folder (what `migrate()` must reach)."""
    head_revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision is not None
    return head_revision


def test_migrations_create_the_console_tables_as_declared(store_url: str) -> None:  # noqa: F811
    store = PetitionStore(store_url)
    try:
        store.migrate()
        store.migrate()  # idempotent
        tables = set(inspect(store.engine).get_table_names())
        assert {"console_user", "console_session", "console_login_attempt", "console_audit"} <= tables
        assert console_drift(store.engine) == []
        # The indexes the queue's SQL paging reads (petitions.store.queue_order).
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(store.engine).get_indexes("petition")}
        assert indexes["ix_petition_queue"] == ["status", "due_date", "created_at"]
        assert indexes["ix_petition_agency_queue"] == ["agency", "status", "due_date", "created_at"]
    finally:
        store.close()


def test_a_database_made_by_create_all_upgrades_and_keeps_its_rows(store_url: str) -> None:  # noqa: F811
    store = PetitionStore(store_url)
    try:
        upgrade(store.engine, "0005")
        # What an older version did: create_all, without the indexes added since.
        ConsoleBase.metadata.create_all(store.engine)
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_console_audit_action_at"))
            conn.execute(text("DROP INDEX ix_console_login_attempt_ok_at"))
        accounts = Accounts(store.engine)
        accounts.add_user("admin", PASSWORD, "admin")
        AuditLog(store.engine).record("admin", "login", "user:admin")

        store.migrate()

        assert head(store.engine) == newest()
        assert console_drift(store.engine) == []
        assert accounts.authenticate("admin", PASSWORD).username == "admin"
        assert [e.action for e in AuditLog(store.engine).entries()] == ["login"]
    finally:
        store.close()


def test_console_start_up_runs_the_migrations(store_url: str) -> None:  # noqa: F811
    """The console's own start-up (`create_schema`) on an empty database gives the migrated schema, version and all."""
    store = PetitionStore(store_url)
    try:
        Accounts(store.engine).ensure_schema()
        assert head(store.engine) == newest()
        assert console_drift(store.engine) == []
        AuditLog(store.engine).record("he-thong", "login", "user:x", after={"at": datetime.now(UTC).isoformat()})
    finally:
        store.close()
