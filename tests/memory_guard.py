"""A pytest plugin that keeps the suite within its memory budget and reports what it used.

A background thread samples, every SAMPLE_S seconds, the resident memory of the test process and of every process
it started (children, grandchildren: the Rasa servers, action servers, HAProxy, CLI subprocesses), read from /proc.
Each process's own high-water mark (VmHWM) is read too, so a peak between two samples is not missed.

- Per test (setup and call): the largest single process and the sum over all of them must stay within the budget,
  by default 4 GB per process and 8 GB in total; `@pytest.mark.memory_budget(process_mb=..., total_mb=...)` sets
  another one. A test over its budget fails, naming the process.
- At the end of the session the peaks are printed in the terminal summary and written to
  tests/artifacts/memory.txt (one line per figure, for CI to `cat`) and tests/artifacts/memory.json.
"""
from __future__ import annotations

import json
import os
import resource
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MB = 1024 * 1024
DEFAULT_PROCESS_MB = int(os.environ.get("PYTEST_MEMORY_PROCESS_MB", 4096))
DEFAULT_TOTAL_MB = int(os.environ.get("PYTEST_MEMORY_TOTAL_MB", 8192))
SAMPLE_S = 0.2
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class ProcInfo:
    pid: int
    name: str
    rss: int  # bytes, now
    hwm: int  # bytes, the process's own peak so far


def _read_status(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in bytes, or None when the process is gone or is a zombie."""
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except OSError:
        return None
    if rss is None:
        return None
    return rss, hwm or rss


def _name(pid: int) -> str:
    """A short, secret-free label: the executable and, for Python, the module or script it runs."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return f"pid {pid}"
    if not argv:
        return f"pid {pid}"
    label = [os.path.basename(argv[0])]
    for i, arg in enumerate(argv[1:], 1):
        if arg == "-c":
            label.append("-c …")
            break
        if arg == "-m" and i + 1 < len(argv):
            label += ["-m", argv[i + 1]]
            if i + 2 < len(argv) and not argv[i + 2].startswith("-"):
                label.append(argv[i + 2])  # the sub-command, e.g. `danvan actions`
            break
        if not arg.startswith("-"):
            label.append(os.path.basename(arg))
            break
    text = " ".join(label)
    return text if len(text) <= 60 else text[:59] + "…"  # Chromium rewrites its argv into one long string


def process_tree(root: int) -> list[ProcInfo]:
    """`root` and all its living descendants (found through the parent pid in /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found: list[ProcInfo] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        mem = _read_status(pid)
        if mem is not None:
            found.append(ProcInfo(pid, "", mem[0], mem[1]))
        todo.extend(children.get(pid, []))
    return found


@dataclass
class Window:
    """Peaks seen while one test ran."""

    total: int = 0
    process: int = 0
    process_name: str = ""


@dataclass
class Peaks:
    total: int = 0
    total_at: str = ""
    per_process: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (name, peak bytes)


class MemoryGuard:
    def __init__(self) -> None:
        self.root = os.getpid()
        self.peaks = Peaks()
        self.window: Window | None = None
        self.current_test = "(session start)"
        self._names: dict[int, str] = {}
        self._hwm_seen: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-guard", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        procs = process_tree(self.root)
        with self._lock:
            total = sum(p.rss for p in procs)
            if total > self.peaks.total:
                self.peaks.total, self.peaks.total_at = total, self.current_test
            for p in procs:
                name = self._names.get(p.pid) or self._names.setdefault(p.pid, _name(p.pid))
                peak = max(p.rss, p.hwm)
                old = self.peaks.per_process.get(p.pid, ("", 0))[1]
                if peak > old:
                    self.peaks.per_process[p.pid] = (name, peak)
                if self.window is not None:
                    # The high-water mark counts for this test only if it rose while the test ran.
                    rose = p.hwm > self._hwm_seen.get(p.pid, 0)
                    in_window = max(p.rss, p.hwm if rose else 0)
                    if in_window > self.window.process:
                        self.window.process, self.window.process_name = in_window, f"{name} (pid {p.pid})"
                self._hwm_seen[p.pid] = max(self._hwm_seen.get(p.pid, 0), p.hwm)
            if self.window is not None:
                self.window.total = max(self.window.total, total)

    def open_window(self, nodeid: str) -> None:
        self.sample()  # high-water marks reached before this test are not its own
        with self._lock:
            self.current_test = nodeid
            self.window = Window()

    def close_window(self) -> Window:
        self.sample()
        with self._lock:
            window, self.window = self.window or Window(), None
        return window

    def summary(self) -> dict[str, Any]:
        with self._lock:
            processes = sorted(self.peaks.per_process.items(), key=lambda kv: -kv[1][1])
            reaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            return {
                "peak_total_mb": round(self.peaks.total / MB),
                "peak_total_during": self.peaks.total_at,
                "peak_process_mb": round(processes[0][1][1] / MB) if processes else 0,
                "peak_process": processes[0][1][0] if processes else "",
                "largest_reaped_child_mb": round(reaped / MB),
                "budget_process_mb": DEFAULT_PROCESS_MB,
                "budget_total_mb": DEFAULT_TOTAL_MB,
                "processes": [{"pid": pid, "name": name, "peak_mb": round(peak / MB)}
                              for pid, (name, peak) in processes[:25]],
            }


def budget_of(item: pytest.Item) -> tuple[int, int]:
    """(per-process, total) budget in MB for one test: its memory_budget marker, or the defaults."""
    marker = item.get_closest_marker("memory_budget")
    if marker is None:
        return DEFAULT_PROCESS_MB, DEFAULT_TOTAL_MB
    kwargs = marker.kwargs
    return int(kwargs.get("process_mb", DEFAULT_PROCESS_MB)), int(kwargs.get("total_mb", DEFAULT_TOTAL_MB))


_GUARD_KEY = pytest.StashKey[MemoryGuard]()
_WINDOW_KEY = pytest.StashKey[Window]()


def pytest_configure(config: pytest.Config) -> None:
    if not Path("/proc/self/status").exists():  # not Linux: no guard, no figures
        return
    guard = MemoryGuard()
    guard.start()
    config.stash[_GUARD_KEY] = guard


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    guard = item.config.stash.get(_GUARD_KEY, None)
    if guard is not None:
        guard.open_window(item.nodeid)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    guard = item.config.stash.get(_GUARD_KEY, None)
    report: pytest.TestReport = outcome.get_result()
    if guard is None or report.when != "call":
        return
    window = guard.close_window()
    item.stash[_WINDOW_KEY] = window
    process_mb, total_mb = budget_of(item)
    over = []
    if window.process > process_mb * MB:
        over.append(f"process {window.process_name} peaked at {window.process / MB:.0f} MB "
                    f"(budget {process_mb} MB per process)")
    if window.total > total_mb * MB:
        over.append(f"the test process and its children peaked at {window.total / MB:.0f} MB together "
                    f"(budget {total_mb} MB)")
    if over and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = "memory budget exceeded: " + "; ".join(over)


def pytest_unconfigure(config: pytest.Config) -> None:
    guard = config.stash.get(_GUARD_KEY, None)
    if guard is None:
        return
    guard.stop()
    data = guard.summary()
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "memory.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        (ARTIFACTS / "memory.txt").write_text("\n".join(summary_lines(data)) + "\n", encoding="utf-8")
    except OSError:
        pass


def summary_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"peak memory, one process: {data['peak_process_mb']} MB ({data['peak_process']}); "
        f"budget {data['budget_process_mb']} MB",
        f"peak memory, all test processes together: {data['peak_total_mb']} MB (during {data['peak_total_during']}); "
        f"budget {data['budget_total_mb']} MB",
        f"largest finished child (max RSS from getrusage): {data['largest_reaped_child_mb']} MB",
    ]
    lines += [f"  {p['peak_mb']:>6} MB  {p['name']} (pid {p['pid']})" for p in data["processes"][:10]]
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    guard = config.stash.get(_GUARD_KEY, None)
    if guard is None:
        return
    guard.sample()
    terminalreporter.write_sep("-", "memory")
    for line in summary_lines(guard.summary()):
        terminalreporter.write_line(line)
