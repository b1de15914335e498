"""No orphans: whatever a test starts dies with the test process, however that dies — kill -9 included.

Each test runs an inner pytest that starts processes through the Supervisor the stacks use, records their process
groups, and then waits; the outer test kill -9s the inner pytest (no clean-up code runs) and waits, with a deadline,
until nothing of those groups is left.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

INNER_PREAMBLE = """
import json, os, sys, time
from pathlib import Path

def record(groups):
    members = [int(p) for p in os.listdir("/proc") if p.isdigit() and _pgrp(int(p)) in groups]
    out = Path(os.environ["ORPHAN_REPORT"])
    out.with_suffix(".tmp").write_text(json.dumps({"groups": sorted(groups), "members": members}))
    out.with_suffix(".tmp").rename(out)

def _pgrp(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[2])
"""

GENERIC = INNER_PREAMBLE + """
from danvan.procs import ProcessSpec, Supervisor

def test_start_and_wait():
    sup = Supervisor(output=sys.stderr, die_with_parent=True)
    sup.start(ProcessSpec(name="sleeper", cmd=["sleep", "600"]))
    # a child that starts a grandchild in its group, as servers with workers do
    sup.start(ProcessSpec(name="parent", cmd=[sys.executable, "-c",
              "import subprocess, time; subprocess.Popen(['sleep', '600']); time.sleep(600)"]))
    deadline = time.monotonic() + 30
    groups = {p.pid for p in sup.children.values()}
    while sum(_pgrp(int(p)) in groups for p in os.listdir("/proc") if p.isdigit()) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    record(groups)
    time.sleep(600)
"""

STACK = INNER_PREAMBLE + """
from tests.stack import start_stack

def test_start_and_wait(tmp_path):
    stack = start_stack(tmp_path / "var", os.environ["ORPHAN_MODEL"], with_rasa=os.environ["ORPHAN_RASA"] == "1")
    record({p.pid for p in stack.supervisor.children.values()})
    time.sleep(900)
"""


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphaned zombie waits for init, but runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"


def _left_in(groups: set[int]) -> list[int]:
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[2]) in groups and fields[0] != b"Z":
            left.append(int(entry))
    return left


def _kill_inner_pytest_and_check(tmp_path: Path, source: str, env: dict[str, str], start_timeout_s: float) -> None:
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(textwrap.dedent(source), encoding="utf-8")
    report = tmp_path / "report.json"
    inner_env = {**os.environ, **env, "ORPHAN_REPORT": str(report), "PYTHONPATH": str(REPO_ROOT)}
    log = open(tmp_path / "inner.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in finally
    inner = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s", str(test_file),
                              "--rootdir", str(tmp_path)], cwd=REPO_ROOT, env=inner_env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + start_timeout_s
        while not report.exists():
            if inner.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the inner pytest did not start its processes:\n{(tmp_path / 'inner.log').read_text()}")
            time.sleep(0.1)
        recorded = json.loads(report.read_text())
        groups, members = set(recorded["groups"]), recorded["members"]
        assert members and all(_alive(pid) for pid in members)

        inner.send_signal(signal.SIGKILL)
        inner.wait(10)

        deadline = time.monotonic() + 15
        while left := _left_in(groups):
            if time.monotonic() > deadline:
                for pid in left:  # do not leave them to the next test either
                    os.kill(pid, signal.SIGKILL)
                pytest.fail(f"still running 15 s after the test process was killed: pids {left}")
            time.sleep(0.1)
    finally:
        if inner.poll() is None:
            os.killpg(inner.pid, signal.SIGKILL)
            inner.wait(10)
        log.close()


def test_children_and_grandchildren_die_when_the_test_process_is_killed(tmp_path: Path) -> None:
    _kill_inner_pytest_and_check(tmp_path, GENERIC, {}, start_timeout_s=60)


@pytest.mark.slow
def test_a_stack_dies_when_the_test_process_is_killed(tmp_path: Path, model_path: str) -> None:
    """The action server of a stack, as start_stack runs it (the Rasa server is started the same way)."""
    _kill_inner_pytest_and_check(tmp_path, STACK, {"ORPHAN_MODEL": model_path, "ORPHAN_RASA": "0"},
                                 start_timeout_s=300)


@pytest.mark.e2e
def test_a_rasa_stack_dies_when_the_test_process_is_killed(tmp_path: Path, model_path: str) -> None:
    _kill_inner_pytest_and_check(tmp_path, STACK, {"ORPHAN_MODEL": model_path, "ORPHAN_RASA": "1"},
                                 start_timeout_s=600)
