"""A running assistant for end-to-end tests: the real action server and the real Rasa server on free ports.

The Rasa model is trained once per set of inputs (cached under var/rasa-models by a hash); everything else the stack
writes (petition store, tracker store, knowledge index) lives in a temporary folder. A knowledge index built once per
test session can be copied in (`index_from`) instead of every stack embedding the documents again.

Isolation: a stack's settings come only from what the test passes (`isolated_settings`), never from the developer's
`.env` or environment, and its children get every setting in their environment (`sealed_env`), which shadows any
`.env` they would read from the project folder. Its children die with the test process, even on kill -9
(`Supervisor(die_with_parent=True)`).
"""
from __future__ import annotations

import dataclasses
import secrets
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from pydantic import SecretStr

from danvan.procs import ProcessSpec, Supervisor, free_port
from danvan.rasa_model import ensure_trained
from danvan.settings import Settings
from danvan.stack import action_spec, rasa_spec

REPO_ROOT = Path(__file__).resolve().parents[1]


def isolated_settings(**values: Any) -> Settings:
    """Settings made of `values` and the defaults only: no `.env` (conftest also clears DANVAN_* and the URLs)."""
    return Settings(_env_file=None, **values)


def sealed_env(settings: Settings) -> dict[str, str]:
    """Every setting as the environment variable Settings reads it from, so a child `danvan` process sees exactly
    these values: environment variables take precedence over the `.env` the child would read in the project folder."""
    env: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        key = info.validation_alias if isinstance(info.validation_alias, str) else f"DANVAN_{name.upper()}"
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[key] = str(value)
    return env


def sealed(spec: ProcessSpec, settings: Settings) -> ProcessSpec:
    """`spec` with `sealed_env(settings)` under its own environment."""
    return dataclasses.replace(spec, env={**sealed_env(settings), **spec.env})


@dataclass
class RunningStack:
    settings: Settings
    supervisor: Supervisor
    model: Path
    timings: dict[str, float] = field(default_factory=dict)
    resources: ExitStack = field(default_factory=ExitStack)  # the log file, closed by `stop`

    def stop(self) -> None:
        """Stop every process of the stack, then close its log."""
        try:
            self.supervisor.stop_all()
        finally:
            self.resources.close()

    @property
    def rasa_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.rasa_port}"

    def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None,
             timeout: float = 30.0) -> list[dict[str, Any]]:
        """One turn through the real REST channel, as every channel bridge does it."""
        payload: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            payload["metadata"] = metadata
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=payload, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def texts(self, sender: str, message: str, **kwargs: Any) -> str:
        """The bot's replies to one message, joined as the citizen would read them."""
        return "\n".join(m.get("text", "") for m in self.send(sender, message, **kwargs))

    def restart(self, name: str) -> None:
        spec = self._specs()[name]
        self.supervisor.run(spec)

    def _specs(self) -> dict[str, Any]:
        return {"actions": sealed(action_spec(self.settings), self.settings),
                "rasa": sealed(rasa_spec(self.settings, self.model), self.settings)}


def start_stack(var_dir: Path, embedding_model: str, database_url: str = "", log_file: Path | None = None,
                with_rasa: bool = True, index_from: Path | None = None) -> RunningStack:
    settings = isolated_settings(
        var_dir=var_dir,
        embedding_model=embedding_model,
        database_url=database_url,
        cache_dir_override=REPO_ROOT / "var" / "cache",
        rasa_port=free_port(), action_port=free_port(), web_port=free_port(),
        rasa_token=SecretStr(secrets.token_urlsafe(16)),
    )
    var_dir.mkdir(parents=True, exist_ok=True)  # Rasa's SQLite tracker store needs its folder to exist
    if index_from is not None and not settings.index_dir.exists():
        shutil.copytree(index_from, settings.index_dir)
    with ExitStack() as resources:  # the log closes here if the stack fails to start, else in `stop`
        output: IO[str] = sys.stderr
        if log_file:
            output = resources.enter_context(open(log_file, "a", encoding="utf-8"))
        supervisor = Supervisor(output=output, die_with_parent=True)
        timings: dict[str, float] = {}
        t = time.monotonic()
        model = ensure_trained(REPO_ROOT, REPO_ROOT / "var" / "rasa-models", settings.rasa_python)
        timings["train"] = time.monotonic() - t
        stack = RunningStack(settings=settings, supervisor=supervisor, model=model, timings=timings)
        try:
            a = stack._specs()["actions"]
            supervisor.start(a)
            if with_rasa:
                r = stack._specs()["rasa"]
                supervisor.start(r)
                timings["rasa_ready"] = supervisor.wait_ready(r)
            timings["actions_ready"] = supervisor.wait_ready(a)
        except BaseException:
            supervisor.stop_all()
            raise
        stack.resources = resources.pop_all()
    return stack
