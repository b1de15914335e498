"""A small process supervisor: start children, prefix their output into one stream, wait for readiness, stop cleanly.

`danvan serve` and the end-to-end tests both run the real Rasa server, the action server and the web app as separate
processes; they share this code so the tests exercise exactly what a user runs.
"""
from __future__ import annotations

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
from typing import IO

import httpx

log = logging.getLogger(__name__)


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
    ready_url: str | None = None
    ready_timeout: float = 180.0
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    port: int | None = None
    host: str = "127.0.0.1"


class Supervisor:
    """Owns a set of child processes; every child runs in its own process group so nothing outlives us."""

    def __init__(self, output: IO[str] | None = None) -> None:
        self._output = output or sys.stdout
        self._lock = threading.Lock()
        self.children: dict[str, subprocess.Popen[str]] = {}
        self._pumps: list[threading.Thread] = []
        self.tails: dict[str, list[str]] = {}

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
        env = dict(os.environ)
        env.update(spec.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(
            list(spec.cmd), cwd=spec.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, start_new_session=True, stdin=subprocess.DEVNULL,
        )
        self.children[spec.name] = proc
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
                response = httpx.get(spec.ready_url, timeout=2.0)
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
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", name, timeout)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        # Kill any grandchildren left in the group (e.g. worker processes).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self, name: str) -> None:
        """kill -9 one child (fault tests)."""
        self.stop(name, timeout=5.0, sig=signal.SIGKILL)

    def stop_all(self) -> None:
        for name in reversed(list(self.children)):
            self.stop(name)

    def first_exited(self) -> str | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name
        return None
