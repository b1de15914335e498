"""The process layout of one assistant: action server, Rasa server, web app (and the optional channel bridges).

Built from the settings object so that `danvan serve` and the end-to-end tests start exactly the same commands.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from danvan.procs import ProcessSpec
from danvan.rasa_launch import TOKEN_ENV
from danvan.rasa_model import rasa_env
from danvan.settings import Settings

# Pending connections a server accepts before the kernel drops new ones (Linux caps it at net.core.somaxconn).
LISTEN_BACKLOG = 1024
# Files the assistant's processes create (SQLite databases with citizens' messages and phone numbers, Rasa's tracker
# store, the knowledge index, logs) are readable by their owner only.
PRIVATE_UMASK = 0o077


def child_env(settings: Settings) -> dict[str, str]:
    """Settings handed to child `danvan` processes, so every process sees the same configuration."""
    env = {
        "DANVAN_VAR_DIR": str(settings.var_dir),
        "DANVAN_CACHE_DIR": str(settings.cache_dir),
        "DANVAN_HOST": settings.host,
        "DANVAN_WEB_PORT": str(settings.web_port),
        "DANVAN_RASA_PORT": str(settings.rasa_port),
        "DANVAN_ACTION_PORT": str(settings.action_port),
        "DANVAN_RASA_TOKEN": settings.rasa_token.get_secret_value(),
        "DATABASE_URL": settings.petitions_url,
        "TRACKER_DATABASE_URL": settings.tracker_url,
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": settings.host,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    if settings.embedding_model:
        env["DANVAN_EMBEDDING_MODEL"] = settings.embedding_model
    return env


@dataclass(frozen=True)
class StackSpecs:
    actions: ProcessSpec
    rasa: ProcessSpec
    web: ProcessSpec


def action_spec(settings: Settings, port: int | None = None, name: str = "actions") -> ProcessSpec:
    port = port or settings.action_port
    return ProcessSpec(
        name=name,
        cmd=[sys.executable, "-m", "danvan", "actions", "--port", str(port)],
        ready_url=f"http://{settings.host}:{port}/health",
        # The secret Rasa must send (endpoints.yml headers); passed explicitly, so it holds without the Rasa token.
        env={**child_env(settings), "DANVAN_ACTION_SECRET": settings.action_server_secret},
        cwd=str(settings.project_root),
        port=port,
        host=settings.host,
        ready_timeout=240.0,
        umask=PRIVATE_UMASK,
    )


def rasa_spec(settings: Settings, model: Path, port: int | None = None, action_port: int | None = None,
              endpoints: Path | None = None, name: str = "rasa") -> ProcessSpec:
    port = port or settings.rasa_port
    action_port = action_port or settings.action_port
    token = settings.rasa_token.get_secret_value()
    root = settings.project_root
    # The token goes through the environment (readable only by its owner), never argv (readable by every user):
    # danvan/rasa_launch.py hands it to Rasa inside the process.
    cmd = [
        str(settings.rasa_python), "-m", "danvan.rasa_launch", "run",
        "--model", str(model),
        "--endpoints", str(endpoints or endpoints_file(settings)),
        "--credentials", str(root / "credentials.yml"),
        "--interface", settings.host, "--port", str(port),
        "--enable-api",
    ]
    env = rasa_env({
        TOKEN_ENV: token,
        "DANVAN_ACTION_URL": f"http://{settings.host}:{action_port}/webhook",
        "DANVAN_ACTION_SECRET": settings.action_server_secret,  # endpoints.yml sends it to the action server
        "DANVAN_TRACKER_URL": settings.tracker_url,
        "DANVAN_LOCK_STORE_URL": settings.lock_store_url,
        # Serving predicts one small message at a time: TensorFlow's thread pools would only compete with the
        # action server and the web app for the machine's cores (training keeps TensorFlow's defaults).
        "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        "TF_INTER_OP_PARALLELISM_THREADS": "1",
        # Rasa listens with a backlog of 100 by default: a burst of new connections beyond it (many citizens at
        # once, or the bridges reconnecting after a restart) has SYNs dropped and waits seconds for retransmits.
        "SANIC_BACKLOG": str(LISTEN_BACKLOG),
    })
    return ProcessSpec(
        name=name, cmd=cmd, env=env, cwd=str(root), port=port, host=settings.host,
        ready_url=f"http://{settings.host}:{port}/status", ready_params={"token": token}, ready_timeout=300.0,
        umask=PRIVATE_UMASK,
    )


def endpoints_file(settings: Settings) -> Path:
    """The committed endpoints.yml, or — when several Rasa servers share a tracker store — a copy with a Redis lock
    store, so that two servers never process turns of the same conversation at once."""
    base = settings.project_root / "endpoints.yml"
    if not settings.lock_store_url:
        return base
    url = urlsplit(settings.lock_store_url)
    if url.scheme not in {"redis", "rediss"}:
        raise ValueError(f"LOCK_STORE_URL must be a redis:// URL, got scheme {url.scheme!r}")
    db = (url.path or "/0").lstrip("/") or "0"
    lock = (
        "\nlock_store:\n  type: redis\n"
        f"  url: {url.hostname or '127.0.0.1'}\n  port: {url.port or 6379}\n  db: {int(db)}\n"
        "  key_prefix: danvan\n"
    )
    if url.password:
        lock += f"  password: {url.password}\n"
    out = settings.var_dir / "endpoints.cluster.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_private(out, base.read_text(encoding="utf-8") + lock)  # may hold the Redis password
    return out


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file that is readable by its owner only from the moment it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older copy may have been created with a looser mode
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def web_spec(settings: Settings, port: int | None = None) -> ProcessSpec:
    port = port or settings.web_port
    return ProcessSpec(
        name="web",
        cmd=[sys.executable, "-m", "danvan", "web", "--port", str(port)],
        ready_url=f"http://{settings.host}:{port}/healthz",
        env=child_env(settings),
        cwd=str(settings.project_root),
        port=port,
        host=settings.host,
        ready_timeout=120.0,
        umask=PRIVATE_UMASK,
    )


def bridge_specs(settings: Settings) -> list[ProcessSpec]:
    """The Telegram bridge runs only when a bot token is configured, the Zalo webhook only with its settings."""
    specs: list[ProcessSpec] = []
    if settings.telegram_enabled:
        specs.append(ProcessSpec(
            name="telegram",
            cmd=[sys.executable, "-m", "danvan", "telegram"],
            env=child_env(settings),
            cwd=str(settings.project_root),
            umask=PRIVATE_UMASK,
        ))
    if settings.zalo_enabled:
        specs.append(ProcessSpec(
            name="zalo",
            cmd=[sys.executable, "-m", "danvan", "zalo", "--port", str(settings.zalo_port)],
            env=child_env(settings),
            cwd=str(settings.project_root),
            port=settings.zalo_port,
            host=settings.host,
            ready_url=f"http://{settings.host}:{settings.zalo_port}/zalo/webhook",
            umask=PRIVATE_UMASK,
        ))
    return specs
