"""Faults in the middle of petitions: processes killed with -9, the database connection dropped, a read-only store.

After each fault: every petition whose code was shown to the citizen is in the store exactly once, none is
duplicated, and the citizen got a message rather than silence.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.rasa_client import RasaClient
from console.webchat import RASA_DOWN_TEXT, forward_to_rasa
from tests.cluster import postgres_available, scratch_database
from tests.dialogue_helpers import CODE_RE, Conversation, joined
from tests.stack import start_stack

# Over the suite's 8 GB total: the fault stack (Rasa + actions, about 2.5 GB) runs beside the session's own stack;
# every process stays within 4 GB.
pytestmark = [pytest.mark.e2e, pytest.mark.memory_budget(total_mb=12288)]
MATTER = "Rác thải sinh hoạt đổ bừa bãi ven đường vào chợ, bốc mùi hôi thối, đề nghị thu gom."


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory, model_path: str, stack_index: Path):
    tmp = tmp_path_factory.mktemp("faults")
    artifacts = Path(__file__).resolve().parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    stack = start_stack(tmp / "var", model_path, log_file=artifacts / "faults-stack.log", index_from=stack_index)
    yield stack
    stack.stop()


def _store(stack):
    from petitions import PetitionStore

    return PetitionStore(stack.settings.petitions_url)


def _begin(conv: Conversation) -> None:
    conv.says("tôi muốn gửi phản ánh")
    conv.says("đồng ý")
    conv.says(MATTER)


def _citizen_sees(stack, sender: str, text: str) -> str:
    """What a citizen reads through a channel bridge (the web chat): replies, or the polite 'try again' message."""

    async def turn() -> list[dict]:
        async with RasaClient(stack.rasa_url) as rasa:
            return await forward_to_rasa(rasa, sender, text)

    return joined(asyncio.run(turn()))


def test_action_server_killed_mid_petition(fault_stack) -> None:
    store = _store(fault_stack)
    before = store.count()
    conv = Conversation(fault_stack)
    _begin(conv)
    fault_stack.supervisor.kill("actions")
    seen = _citizen_sees(fault_stack, conv.sender, "phường Tân Ninh")
    assert seen.strip(), "the citizen got silence while the action server was down"
    fault_stack.restart("actions")
    # The citizen repeats the answer; the form continues and ends with one petition.
    reply = conv.says("phường Tân Ninh")
    assert "số điện thoại" in reply.lower(), conv.transcript()  # the form goes on where it was: consent given
    reply = conv.says("không")
    assert "Chuyển đến" in reply, conv.transcript()
    code = CODE_RE.search(conv.says("xác nhận"))
    assert code, conv.transcript()
    assert store.count() == before + 1
    assert store.get_by_code(code.group(0)) is not None


def test_rasa_killed_mid_petition_resumes_from_the_tracker_store(fault_stack) -> None:
    store = _store(fault_stack)
    before = store.count()
    conv = Conversation(fault_stack)
    _begin(conv)
    fault_stack.supervisor.kill("rasa")
    assert _citizen_sees(fault_stack, conv.sender, "phường Tân Ninh") == RASA_DOWN_TEXT
    fault_stack.restart("rasa")
    reply = conv.says("phường Tân Ninh")  # the form state survived in the SQL tracker store
    assert "số điện thoại" in reply.lower(), conv.transcript()
    reply = conv.says("0912345678")
    assert "Chuyển đến" in reply, conv.transcript()
    code = CODE_RE.search(conv.says("xác nhận"))
    assert code, conv.transcript()
    assert store.count() == before + 1


def test_confirmation_redelivered_after_a_crash_creates_one_petition(fault_stack) -> None:
    store = _store(fault_stack)
    before = store.count()
    conv = Conversation(fault_stack)
    _begin(conv)
    assert "số điện thoại" in conv.says("phường Tân Ninh").lower(), conv.transcript()
    conv.says("không")
    first = joined(conv.say("xác nhận", metadata={"message_id": "tg-777"}))
    code = CODE_RE.search(first)
    assert code, conv.transcript()
    fault_stack.supervisor.kill("actions")
    fault_stack.restart("actions")
    again = joined(conv.say("xác nhận", metadata={"message_id": "tg-777"}))
    assert again.strip()
    assert store.count() == before + 1


def test_unwritable_database_gives_a_clear_message_and_no_partial_row(fault_stack) -> None:
    """Another process holds the SQLite database exclusively (as a full disk or a stuck backup would): the write
    fails after the busy timeout, the citizen is told, and nothing half-written remains."""
    import sqlite3

    db = Path(fault_stack.settings.petitions_url.removeprefix("sqlite:///"))
    store = _store(fault_stack)
    before = store.count()
    conv = Conversation(fault_stack)
    _begin(conv)
    assert "số điện thoại" in conv.says("phường Tân Ninh").lower(), conv.transcript()
    conv.says("không")
    blocker = sqlite3.connect(db, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        reply = _citizen_sees(fault_stack, conv.sender, "xác nhận")
    finally:
        blocker.rollback()
        blocker.close()
    assert reply.strip(), "the citizen got silence"
    assert not CODE_RE.search(reply), reply
    assert store.count() == before
    # Once the database is writable again, the citizen's retry files the petition exactly once.
    code = CODE_RE.search(conv.says("xác nhận"))
    assert code, conv.transcript()
    assert store.count() == before + 1


def test_dropped_database_connections_on_postgresql(tmp_path: Path, model_path: str, stack_index: Path) -> None:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    import psycopg2

    with scratch_database() as url:
        stack = start_stack(tmp_path / "var", model_path, database_url=url, log_file=tmp_path / "stack.log",
                            index_from=stack_index)
        try:
            store = _store(stack)
            conv = Conversation(stack)
            _begin(conv)
            assert "số điện thoại" in conv.says("phường Tân Ninh").lower(), conv.transcript()
            conv.says("không")
            dbname = url.rsplit("/", 1)[1]
            admin = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            admin.autocommit = True
            admin.cursor().execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
            admin.close()
            reply = conv.says("xác nhận")
            code = CODE_RE.search(reply)
            if not code:  # the citizen was told to retry; the retry must succeed exactly once
                assert reply.strip(), conv.transcript()
                code = CODE_RE.search(conv.says("xác nhận"))
            assert code, conv.transcript()
            assert store.count() == 1
        finally:
            stack.stop()
