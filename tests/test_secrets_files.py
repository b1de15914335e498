"""Secrets stay out of logs and command lines, and the files holding citizens' data are readable by their owner only
(issue 12, finding 5)."""
from __future__ import annotations

import logging
import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from danvan.rasa_launch import TOKEN_ENV, rasa_argv
from danvan.settings import Settings
from danvan.stack import action_spec, rasa_spec, web_spec


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _descendants(pid: int) -> set[int]:
    """The process and all its descendants, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = {p for p, pp in parents.items() if pp == parent and p not in found}
        found |= children
        frontier.extend(children)
    return found


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask (files 0644), whatever the test runner's own umask is."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_rasa_spec_keeps_the_token_out_of_argv_urls_and_repr(tmp_path: Path) -> None:
    token = "tok-" + secrets.token_urlsafe(16)
    settings = Settings(var_dir=tmp_path, rasa_token=SecretStr(token))
    spec = rasa_spec(settings, tmp_path / "model.tar.gz")
    assert token not in " ".join(spec.cmd)
    assert token not in (spec.ready_url or "")
    assert token not in repr(spec)
    assert spec.env[TOKEN_ENV] == token  # handed over through the environment instead
    assert "--enable-api" in spec.cmd


def test_launcher_hands_the_token_to_rasa_and_refuses_an_open_api() -> None:
    assert rasa_argv(["run", "--enable-api"], "s3cret")[-1] == "--auth-token=s3cret"
    with pytest.raises(SystemExit):
        rasa_argv(["run", "--enable-api"], "")
    with pytest.raises(SystemExit):
        rasa_argv(["run", "--enable-api", "--auth-token=s3cret"], "s3cret")


def test_running_rasa_shows_no_token_in_ps_and_still_requires_it(rasa_stack) -> None:
    token = rasa_stack.settings.rasa_token.get_secret_value()
    rasa = rasa_stack.supervisor.children["rasa"]
    pids = _descendants(rasa.pid)
    cmdlines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                for pid in pids if Path(f"/proc/{pid}/cmdline").exists()}
    assert any("danvan.rasa_launch run" in c and "--enable-api" in c for c in cmdlines.values()), cmdlines
    assert not [c for c in cmdlines.values() if token in c]
    ps = subprocess.run(["ps", "-eo", "pid,args", "--width", "100000"], capture_output=True, text=True, check=True)
    assert str(rasa.pid) in ps.stdout
    assert token not in ps.stdout
    # The token did reach Rasa: the HTTP API answers with it and refuses without it.
    status = f"{rasa_stack.rasa_url}/status"
    assert httpx.get(status, params={"token": token}, timeout=10).status_code == 200
    assert httpx.get(status, timeout=10).status_code == 401


def test_readiness_poll_logs_the_url_without_its_token(rasa_stack, caplog: pytest.LogCaptureFixture) -> None:
    token = rasa_stack.settings.rasa_token.get_secret_value()
    spec = rasa_spec(rasa_stack.settings, rasa_stack.model)
    caplog.set_level(logging.INFO, logger="httpx")
    rasa_stack.supervisor.wait_ready(spec)
    assert f"{rasa_stack.rasa_url}/status" in caplog.text  # the poll was logged...
    assert token not in caplog.text  # ...without the token


def test_stack_databases_are_owner_only(rasa_stack) -> None:
    """Rasa's tracker store and the petitions store, created by the running servers, are 0600."""
    rasa_stack.send("test:secrets", "xin chào")
    var = rasa_stack.settings.var_dir
    tracker = Path(rasa_stack.settings.tracker_url.split(":///", 1)[1])
    assert tracker.is_file() and tracker.parent == var
    assert _mode(tracker) == 0o600
    petitions = Path(rasa_stack.settings.petitions_url.split(":///", 1)[1])
    assert petitions.is_file()
    assert _mode(petitions) == 0o600


def test_every_assistant_process_creates_private_files(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, rasa_token=SecretStr("t"))
    specs = [action_spec(settings), rasa_spec(settings, tmp_path / "m.tar.gz"), web_spec(settings)]
    assert {spec.umask for spec in specs} == {0o077}


def test_petitions_database_is_created_owner_only(tmp_path: Path, loose_umask: None) -> None:
    from petitions.store import PetitionStore

    db = tmp_path / "var" / "petitions.db"
    store = PetitionStore(f"sqlite:///{db}")
    try:
        store.migrate()
        assert _mode(db) == 0o600
        for side in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            if side.exists():
                assert _mode(side) == 0o600
    finally:
        store.close()


def test_session_key_is_never_readable_by_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 loose_umask: None) -> None:
    """Even if the process dies right after writing the key (here: any chmod is interrupted), the key file is
    owner-only, and a second start reads the same key."""
    from danvan.commands.web import _persistent_secret

    def interrupted(self: Path, mode: int, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed before chmod")

    settings = Settings(var_dir=tmp_path)
    monkeypatch.setattr(Path, "chmod", interrupted)
    try:
        first = _persistent_secret(settings)
    except KeyboardInterrupt:
        first = None
    key = tmp_path / "session.key"
    assert key.is_file()
    assert _mode(key) == 0o600
    monkeypatch.undo()
    assert first is not None and len(first) >= 32
    assert _persistent_secret(settings) == first
    assert [p.name for p in tmp_path.iterdir()] == ["session.key"]  # no temporary file left behind
