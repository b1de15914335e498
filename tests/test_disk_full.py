"""A full disk under the petitions database: the citizen is told, nothing half-written is kept, the retry works.

The database lives on a small tmpfs that the test fills to the last byte, so SQLite really gets ENOSPC ("database
or disk is full") from the kernel; the submit action is the one the action server runs.
"""
from __future__ import annotations

import logging
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.petition_submit import ActionSubmitPetition
from tests.dialogue_helpers import CODE_RE
from tests.fixtures_dialogue import action_services, domain_dict, make_tracker, texts_of  # noqa: F401
from tests.test_actions_submit import confirmed_slots

TMPFS_SIZE = "4m"


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture()
def services_on_small_disk(small_disk: Path, tmp_path: Path, action_services: Any, model_path: str) -> Iterator[Any]:
    """The application's services with the petitions store on the small disk (everything else as in the tests)."""
    import actions.runtime
    from danvan.services import AppServices
    from danvan.settings import Settings

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "cache").symlink_to(action_services.settings.cache_dir, target_is_directory=True)
    settings = Settings(var_dir=var_dir, embedding_model=model_path,
                        database_url=f"sqlite:///{small_disk / 'petitions.db'}")
    services = AppServices(settings)
    services.__dict__["encoder"] = action_services.encoder
    services.__dict__["router"] = action_services.router
    actions.runtime.configure(services)
    try:
        services.store.count()  # migrations run while there is room
        yield services
    finally:
        services.store.close()
        actions.runtime.configure(action_services)


def fill(disk: Path) -> Path:
    """Write until the kernel refuses another byte."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (65536, 1):
            try:
                while out.write(b"\0" * chunk):
                    pass
            except OSError:
                pass
    return filler


async def submit(domain: dict, **slots: Any) -> str:
    tracker = make_tracker("Xác nhận", intent="affirm", slots=confirmed_slots(**slots))
    dispatcher = CollectingDispatcher()
    await ActionSubmitPetition().run(dispatcher, tracker, domain)
    return texts_of(dispatcher)


async def test_a_full_disk_gives_a_clear_message_keeps_nothing_partial_and_the_retry_files_once(
    services_on_small_disk: Any, small_disk: Path, domain_dict: dict, caplog: pytest.LogCaptureFixture
) -> None:
    store = services_on_small_disk.store
    matter = "Cống thoát nước trước chợ bị nghẹt, mưa xuống là nước tràn vào nhà dân, mùi hôi rất khó chịu."
    before = store.count()
    filler = fill(small_disk)
    with caplog.at_level(logging.ERROR, logger="actions"):
        reply = await submit(domain_dict, matter=matter, phone="+84912345678")
    assert reply == texts.SUBMIT_FAILED
    assert not CODE_RE.search(reply)
    # The operator's log says why, in English, without the citizen's phone number or matter.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SQLite: database or disk is full" in logged, logged
    assert "912345678" not in logged and "Cống thoát" not in logged
    filler.unlink()
    assert store.count() == before
    with sqlite3.connect(small_disk / "petitions.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # With room again, the citizen's second "xác nhận" files the petition exactly once.
    code = CODE_RE.search(await submit(domain_dict, matter=matter, phone="+84912345678"))
    assert code
    assert store.count() == before + 1
    assert store.get_by_code(code.group(0)).text == matter
