"""`danvan eval dialogues`: play scripted conversations against a private copy of the whole stack.

The scripted-conversation runner (../shared/eval/dialogues.py, standard library only) talks to a running Rasa REST
channel and reads a petitions database. This module starts the real action server and Rasa server on free ports with
their own petitions and tracker databases in a temporary folder (the knowledge index and caches are shared read-only
with the live assistant), runs the runner against them, and stops them again — so the evaluation never touches
`make run`'s data and can run beside it.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pydantic import SecretStr

from danvan.errors import CommandError
from danvan.settings import Settings

DEFAULT_RUNNER = Path("..") / "shared" / "eval" / "dialogues.py"


def runner_path(settings: Settings) -> Path:
    return (settings.project_root / DEFAULT_RUNNER).resolve()


def run_dialogues(files: list[Path], settings: Settings, *, only: str = "", transcript: Path | None = None,
                  min_pass: float | None = None, keep: bool = False) -> int:
    """Start a private stack, run every scripts file through the runner, return the worst exit status."""
    from danvan.procs import ProcessError, Supervisor, free_port
    from danvan.rasa_model import TrainingError, ensure_trained
    from danvan.stack import action_spec, rasa_spec

    runner = runner_path(settings)
    if not runner.is_file():
        raise CommandError(f"dialogue runner {runner} not found (it lives in ../shared/eval/)")
    for file in files:
        if not file.is_file():
            raise CommandError(f"scripts file {file} not found")
    tmp = Path(tempfile.mkdtemp(prefix="danvan-dialogues-"))
    index = settings.index_dir
    if (index / "manifest.json").is_file():
        shutil.copytree(index, tmp / "index")
    private = settings.model_copy(update={
        "var_dir": tmp,
        "cache_dir_override": settings.cache_dir,
        "embedding_model": settings.embedding_model_path,
        "database_url": "",
        "tracker_database_url": "",
        "lock_store_url": "",
        "rasa_port": free_port(settings.host),
        "action_port": free_port(settings.host),
        "rasa_token": SecretStr(secrets.token_urlsafe(24)),
    })
    log_file = tmp / "stack.log"
    supervisor = Supervisor(output=open(log_file, "a", encoding="utf-8"))  # noqa: SIM115 - closed with the folder
    try:
        try:
            model = ensure_trained(settings.project_root, settings.rasa_models_dir, settings.rasa_python)
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        specs = [action_spec(private), rasa_spec(private, model)]
        try:
            for spec in specs:
                supervisor.start(spec)
            for spec in specs:
                supervisor.wait_ready(spec)
        except ProcessError as exc:
            raise CommandError(f"{exc}\n(stack log: {log_file})") from exc
        env = dict(os.environ)
        env.update({
            "RASA_URL": f"{private.rasa_url}/webhooks/rest/webhook",
            "PETITIONS_DB": str(tmp / "petitions.db"),
        })
        if only:
            env["DIALOGUES_ONLY"] = only
        if min_pass is not None:
            env["DIALOGUES_MIN_PASS"] = str(min_pass)
        status = 0
        for number, file in enumerate(files):
            if transcript is not None:
                env["DIALOGUES_TRANSCRIPT"] = str(transcript if len(files) == 1 else
                                                  transcript.with_suffix(f".{number}{transcript.suffix}"))
            print(f"==> {file}", flush=True)
            result = subprocess.run([sys.executable, str(runner), str(file.resolve())], env=env,
                                    cwd=settings.project_root, check=False)
            status = max(status, result.returncode)
        return status
    finally:
        supervisor.stop_all()
        if keep:
            print(f"stack folder kept: {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
