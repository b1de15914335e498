"""Two Rasa servers and two action servers behind HAProxy, sharing PostgreSQL and a Redis lock store.

This is the deployment README.md documents for more than one server; the cluster test and the load harness use it.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from danvan.procs import ProcessSpec, Supervisor, free_port
from danvan.rasa_model import ensure_trained
from danvan.settings import Settings
from danvan.stack import action_spec, rasa_spec
from tests.stack import isolated_settings, sealed

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_available() -> str | None:
    try:
        import psycopg2

        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc).__name__})"
    return None


def redis_available() -> str | None:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return "Redis at 127.0.0.1:6379 did not answer PING"
    except OSError as exc:
        return f"Redis not reachable at 127.0.0.1:6379 ({exc})"
    return None


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test run, dropped afterwards."""
    import psycopg2

    name = f"danvan_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def haproxy_config(rasa_ports: list[int], action_ports: list[int], rasa_lb: int, action_lb: int) -> str:
    rasa_servers = "\n".join(f"    server rasa{i} 127.0.0.1:{p} check" for i, p in enumerate(rasa_ports, 1))
    action_servers = "\n".join(f"    server actions{i} 127.0.0.1:{p} check" for i, p in enumerate(action_ports, 1))
    return f"""global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option http-server-close
frontend rasa_in
    bind 127.0.0.1:{rasa_lb}
    default_backend rasa
backend rasa
    balance roundrobin
{rasa_servers}
frontend actions_in
    bind 127.0.0.1:{action_lb}
    default_backend actions
backend actions
    balance roundrobin
{action_servers}
"""


@dataclass
class Cluster:
    supervisor: Supervisor
    settings: Settings
    rasa_url: str
    rasa_direct: list[str]

    def send(self, sender: str, message: str, base: str | None = None) -> list[dict]:
        response = httpx.post(f"{base or self.rasa_url}/webhooks/rest/webhook",
                              json={"sender": sender, "message": message}, timeout=60)
        response.raise_for_status()
        return response.json()

    def events(self, sender: str, base: str | None = None) -> list[dict]:
        """The conversation's stored events, through Rasa's HTTP API (token-protected)."""
        response = httpx.get(f"{base or self.rasa_direct[0]}/conversations/{sender}/tracker",
                             params={"token": self.settings.rasa_token.get_secret_value(), "include_events": "ALL"},
                             timeout=60)
        response.raise_for_status()
        return response.json()["events"]


def wait_balanced(urls: list[str], timeout_s: float = 30.0) -> None:
    """Wait until every balancer URL has answered twice in a row (round robin: once per backend)."""
    deadline = time.monotonic() + timeout_s
    for url in urls:
        ok = 0
        while ok < 2:
            try:
                ok = ok + 1 if httpx.get(url, timeout=5).status_code < 500 else 0
            except httpx.HTTPError:
                ok = 0
            if ok < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"HAProxy did not reach both backends at {url} within {timeout_s:.0f} s")
                time.sleep(0.1)


@contextmanager
def running_cluster(tmp: Path, model_path: str, database_url: str, lock_store_url: str,
                    index_from: Path | None = None) -> Iterator[Cluster]:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        raise RuntimeError("haproxy is not installed")
    token = secrets.token_urlsafe(16)
    rasa_lb, action_lb = free_port(), free_port()
    base = isolated_settings(var_dir=tmp, embedding_model=model_path, database_url=database_url,
                    lock_store_url=lock_store_url, rasa_token=SecretStr(token),
                    cache_dir_override=REPO_ROOT / "var" / "cache")
    model = ensure_trained(REPO_ROOT, REPO_ROOT / "var" / "rasa-models", base.rasa_python)
    if index_from is not None and not base.index_dir.exists():
        shutil.copytree(index_from, base.index_dir)  # both action servers share this folder
    with open(tmp / "cluster.log", "a", encoding="utf-8") as log:  # closed once every child has stopped
        supervisor = Supervisor(output=log, die_with_parent=True)
        rasa_ports = [free_port(), free_port()]
        action_ports = [free_port(), free_port()]
        try:
            # Started one after the other: each runs its migrations / creates tables on the shared database.
            for i, port in enumerate(action_ports, 1):
                supervisor.run(sealed(action_spec(base, port=port, name=f"actions{i}"), base))
            for i, port in enumerate(rasa_ports, 1):
                supervisor.run(sealed(rasa_spec(base, model, port=port, action_port=action_lb, name=f"rasa{i}"), base))
            cfg = tmp / "haproxy.cfg"
            cfg.write_text(haproxy_config(rasa_ports, action_ports, rasa_lb, action_lb))
            check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True)
            if check.returncode != 0:
                raise RuntimeError(f"haproxy config rejected: {check.stderr}")
            supervisor.run(ProcessSpec(name="haproxy", cmd=[haproxy, "-db", "-f", str(cfg)],
                                       ready_url=f"http://127.0.0.1:{rasa_lb}/", ready_timeout=30))
            wait_balanced([f"http://127.0.0.1:{rasa_lb}/", f"http://127.0.0.1:{action_lb}/health"])
            yield Cluster(supervisor, base, f"http://127.0.0.1:{rasa_lb}",
                          [f"http://127.0.0.1:{p}" for p in rasa_ports])
        finally:
            supervisor.stop_all()
