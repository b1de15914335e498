"""A small process supervisor: start children, prefix their output into one stream, wait for readiness, stop cleanly.

`danvan serve` and the end-to-end tests both run the real Rasa server, the action server and the web app as separate
processes; they share this code so the tests exercise exactly what a user runs.

Stopping: every child runs in its own process group, so a Ctrl-C typed in the terminal reaches only the supervisor,
which must then stop the children itself. Python turns SIGINT into KeyboardInterrupt only when the process started
with SIGINT handled; a process started as a background job, under nohup or by some CI runners inherits SIGINT
*ignored* and would never stop on it. So the supervisor installs its own handlers for SIGINT and SIGTERM (which works
whatever disposition was inherited) as soon as it starts a child, turns either signal into KeyboardInterrupt, and
holds further stop signals while it is stopping the children.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ProcessError(RuntimeError):
    """A child process could not be started or did not become ready."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class ProcessSpec:
    """How to start one child and how to know it is ready."""

    name: str
    cmd: Sequence[str]
    ready_url: str | None = None  # printed in errors: never put a secret in it (see ready_params)
    ready_timeout: float = 180.0
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold tokens
    cwd: str | None = None
    port: int | None = None
    host: str = "127.0.0.1"
    ready_params: Mapping[str, str] = field(default_factory=dict, repr=False)  # query parameters, e.g. a token
    umask: int | None = None  # the child's umask (None: inherit ours)


class RedactQuery(logging.Filter):
    """Drop query strings from URLs in log records: httpx logs every request URL at INFO, tokens included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_without_query(a) for a in record.args)
        return True


def _without_query(value: object) -> object:
    text = str(value)
    if "?" not in text or "://" not in text:
        return value
    parts = urlsplit(text)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def redact_http_logs() -> None:
    """Install `RedactQuery` on httpx's logger once per process."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactQuery) for f in logger.filters):
        logger.addFilter(RedactQuery())


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _hold(signum: int, frame: FrameType | None) -> None:
    log.info("%s received while stopping; still stopping", signal.Signals(signum).name)


# Run by a watchdog process: poll that the supervisor (its parent) is alive; once it is gone (reparented), kill the
# child's whole process group. Exits by itself when the group is gone. argv: supervisor pid, child process group.
_WATCHDOG = """
import os, signal, sys, time
parent, group = int(sys.argv[1]), int(sys.argv[2])
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        sys.exit(0)
    if os.getppid() != parent:
        os.killpg(group, signal.SIGKILL)
        sys.exit(0)
    time.sleep(0.2)
"""


def _start_watchdog(group: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-I", "-S", "-c", _WATCHDOG, str(os.getpid()), str(group)],
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _end_watchdog(watchdog: subprocess.Popen[bytes] | None) -> None:
    if watchdog is None:
        return
    watchdog.kill()
    watchdog.wait(timeout=5)


class Supervisor:
    """Owns a set of child processes; every child runs in its own process group so nothing outlives us."""

    def __init__(self, output: IO[str] | None = None, *, die_with_parent: bool = False) -> None:
        self._output = output or sys.stdout
        self._lock = threading.Lock()
        self.children: dict[str, subprocess.Popen[str]] = {}
        # Tests set die_with_parent: a test process killed with SIGKILL runs no clean-up, so a watchdog per child
        # kills the child's process group once our pid is gone (see _WATCHDOG). `danvan serve` does not need it.
        self.die_with_parent = die_with_parent
        self._watchdogs: dict[int, subprocess.Popen[bytes]] = {}  # child pid -> its watchdog
        self._pumps: list[threading.Thread] = []
        self.tails: dict[str, list[str]] = {}
        self._saved_handlers: dict[int, Any] | None = None
        redact_http_logs()

    def handle_stop_signals(self) -> None:
        """Turn SIGINT and SIGTERM into KeyboardInterrupt in the main thread, whatever disposition we inherited.

        Called by `start`; `stop_all` puts the previous handlers back. Does nothing outside the main thread (Python
        delivers signals to the main thread only).
        """
        if self._saved_handlers is not None or threading.current_thread() is not threading.main_thread():
            return
        self._saved_handlers = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}

    def _restore_signal_handlers(self) -> None:
        saved, self._saved_handlers = self._saved_handlers, None
        for sig, handler in (saved or {}).items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    def _pump(self, name: str, stream: IO[str]) -> None:
        tail = self.tails.setdefault(name, [])
        for line in stream:
            line = line.rstrip("\n")
            tail.append(line)
            del tail[:-200]
            with self._lock:
                self._output.write(f"[{name}] {line}\n")
                self._output.flush()

    def start(self, spec: ProcessSpec) -> subprocess.Popen[str]:
        if spec.port is not None and not port_is_free(spec.host, spec.port):
            raise ProcessError(f"port {spec.port} on {spec.host} is already in use; stop the other program or choose "
                               f"another port for {spec.name}")
        # Before the child exists: a stop signal from now on stops it too. A caught signal is also reset to its
        # default in the child at exec, so children do not inherit an ignored SIGINT.
        self.handle_stop_signals()
        env = dict(os.environ)
        env.update(spec.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(
            list(spec.cmd), cwd=spec.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, start_new_session=True, stdin=subprocess.DEVNULL,
            umask=-1 if spec.umask is None else spec.umask,
        )
        self.children[spec.name] = proc
        if self.die_with_parent:
            self._watchdogs[proc.pid] = _start_watchdog(proc.pid)
        pump = threading.Thread(target=self._pump, args=(spec.name, proc.stdout), daemon=True)
        pump.start()
        self._pumps.append(pump)
        return proc

    def wait_ready(self, spec: ProcessSpec, check: Callable[[httpx.Response], bool] | None = None) -> float:
        """Poll the readiness URL until it answers; returns seconds waited. Fails fast if the child died."""
        if not spec.ready_url:
            return 0.0
        started = time.monotonic()
        proc = self.children[spec.name]
        while time.monotonic() - started < spec.ready_timeout:
            if proc.poll() is not None:
                tail = "\n".join(self.tails.get(spec.name, [])[-25:])
                raise ProcessError(f"{spec.name} exited with status {proc.returncode} before it was ready:\n{tail}")
            try:
                response = httpx.get(spec.ready_url, params=dict(spec.ready_params), timeout=2.0)
                if response.status_code < 500 and (check is None or check(response)):
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise ProcessError(f"{spec.name} was not ready at {spec.ready_url} after {spec.ready_timeout:.0f} s")

    def run(self, spec: ProcessSpec) -> float:
        self.start(spec)
        return self.wait_ready(spec)

    def stop(self, name: str, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
        proc = self.children.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", name, timeout)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # Kill any grandchildren left in the group (e.g. worker processes).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        _end_watchdog(self._watchdogs.pop(proc.pid, None))

    def kill(self, name: str) -> None:
        """kill -9 one child (fault tests)."""
        self.stop(name, timeout=5.0, sig=signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every child, newest first; a second Ctrl-C or SIGTERM meanwhile does not cut this short."""
        held = {}
        if threading.current_thread() is threading.main_thread():
            held = {sig: signal.signal(sig, _hold) for sig in STOP_SIGNALS}
        try:
            for name in reversed(list(self.children)):
                self.stop(name)
            for pid in list(self._watchdogs):  # watchdogs of children replaced by a restart
                _end_watchdog(self._watchdogs.pop(pid))
            for pump in self._pumps:  # children's last lines reach the output before its owner closes it
                pump.join(timeout=2.0)
            self._pumps = [pump for pump in self._pumps if pump.is_alive()]
        finally:
            for sig, handler in held.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            self._restore_signal_handlers()

    def first_exited(self) -> str | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name
        return None
