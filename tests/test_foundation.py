"""The foundation as a new user meets it: `danvan serve` starts everything, chats, and stops without leftovers."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from danvan.procs import free_port, port_is_free
from danvan.rasa_model import inputs_hash

REPO_ROOT = Path(__file__).resolve().parents[1]


def _children_of(pid: int) -> set[int]:
    """All descendants of a process, read from /proc (no extra dependency)."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_training_hash_changes_only_with_inputs(tmp_path: Path) -> None:
    for name in ("config.yml", "domain.yml"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text((REPO_ROOT / "data" / "nlu.yml").read_text())
    first = inputs_hash(tmp_path)
    assert inputs_hash(tmp_path) == first
    (tmp_path / "data" / "nlu.yml").write_text((REPO_ROOT / "data" / "nlu.yml").read_text() + "\n# changed\n")
    assert inputs_hash(tmp_path) != first


def test_greeting_comes_from_the_real_rasa_server(rasa_stack) -> None:
    replies = rasa_stack.send("test:foundation", "xin chào")
    text = " ".join(r.get("text", "") for r in replies)
    assert "Xin chào" in text and "Dân vận" in text


def _ignore_sigint() -> None:
    """In the child before exec: start with SIGINT ignored, as a background job, nohup or some CI runners do."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_serve(tmp_path: Path, model_path: str) -> tuple[subprocess.Popen, dict[str, int], Path]:
    """`danvan serve` on free ports with SIGINT ignored from the start, waited until it says it is running."""
    ports = {"DANVAN_WEB_PORT": free_port(), "DANVAN_RASA_PORT": free_port(), "DANVAN_ACTION_PORT": free_port()}
    env = dict(os.environ, DANVAN_VAR_DIR=str(tmp_path / "var"), DANVAN_EMBEDDING_MODEL=model_path,
               DANVAN_CACHE_DIR=str(REPO_ROOT / "var" / "cache"),
               **{k: str(v) for k, v in ports.items()})
    # Reuse the trained model instead of training into the temporary var/.
    (tmp_path / "var").mkdir()
    os.symlink(REPO_ROOT / "var" / "rasa-models", tmp_path / "var" / "rasa-models")
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "danvan", "serve"], cwd=REPO_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_ignore_sigint)
    deadline = time.monotonic() + 300
    while "Press Ctrl-C to stop" not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc, signal.SIGKILL)
            pytest.fail(f"serve did not become ready:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return proc, ports, log_path


def _stop(proc: subprocess.Popen, sig: int) -> int | None:
    """Send `sig` to serve and wait for it to exit; None if it did not within a minute (then it is killed)."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in _children_of(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        return None


def _assert_nothing_left(children: set[int], ports: dict[str, int]) -> None:
    """Poll (with a deadline) until every child of serve has exited and every port it used is free again."""
    deadline = time.monotonic() + 30
    while [pid for pid in children if _alive(pid)] or not all(port_is_free("127.0.0.1", p) for p in ports.values()):
        left = [pid for pid in children if _alive(pid)]
        assert time.monotonic() < deadline, f"left behind after serve stopped: processes {left}, ports " + str(
            [p for p in ports.values() if not port_is_free("127.0.0.1", p)])
        time.sleep(0.2)


@pytest.mark.e2e
def test_serve_runs_the_chat_page_and_stops_cleanly(tmp_path: Path, model_path: str, rasa_stack) -> None:
    """Ctrl-C stops everything even when serve started with SIGINT ignored (a background job, nohup)."""
    # rasa_stack is requested so the model is trained (once) before serve needs it.
    proc, ports, log_path = _start_serve(tmp_path, model_path)
    web = f"http://127.0.0.1:{ports['DANVAN_WEB_PORT']}"
    try:
        page = httpx.get(web + "/")
        assert page.status_code == 200 and "Tin nhắn của bạn" in page.text
        with httpx.Client(base_url=web) as client:
            client.get("/")
            reply = client.post("/api/chat", json={"message": "xin chào"}).json()
        assert any("Xin chào" in r.get("text", "") for r in reply["replies"])
        rest = httpx.post(f"http://127.0.0.1:{ports['DANVAN_RASA_PORT']}/webhooks/rest/webhook",
                          json={"sender": "curl", "message": "chào bạn"}, timeout=30).json()
        assert rest and "Xin chào" in rest[0]["text"]
        children = _children_of(proc.pid)
        assert len(children) >= 3
    finally:
        status = _stop(proc, signal.SIGINT)
    assert status == 0, f"serve did not stop on SIGINT (exit {status}):\n{log_path.read_text()[-2000:]}"
    assert "Stopping" in log_path.read_text()
    _assert_nothing_left(children, ports)


@pytest.mark.e2e
def test_serve_stops_cleanly_on_sigterm(tmp_path: Path, model_path: str, rasa_stack) -> None:
    proc, ports, log_path = _start_serve(tmp_path, model_path)
    children = _children_of(proc.pid)
    assert len(children) >= 3
    status = _stop(proc, signal.SIGTERM)
    assert status == 0, f"serve did not stop on SIGTERM (exit {status}):\n{log_path.read_text()[-2000:]}"
    assert "Stopping" in log_path.read_text()
    _assert_nothing_left(children, ports)


def test_serve_refuses_a_taken_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = dict(os.environ, DANVAN_VAR_DIR=str(tmp_path), DANVAN_WEB_PORT=str(port))
        result = subprocess.run([sys.executable, "-m", "danvan", "serve"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
