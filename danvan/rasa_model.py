"""Train the Rasa model only when its inputs changed.

The model file is named after a hash of everything `rasa train` reads (config.yml, domain, data/, the Rasa version),
so a second `make run` or `make test` finds it and skips the minute-long training. A file lock keeps two processes
(a test run and `danvan serve`) from training the same model at once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path

from nlp.files import file_lock

log = logging.getLogger(__name__)

TRAINING_INPUTS = ("config.yml", "domain.yml", "data")


class TrainingError(RuntimeError):
    """`rasa train` failed; the message carries the tail of its output."""


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"}))
        elif path.is_file():
            files.append(path)
    return files


def inputs_hash(root: Path, rasa_version: str = "3.6.21") -> str:
    """A short content hash of the training inputs."""
    digest = hashlib.sha256(rasa_version.encode())
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def rasa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Rasa processes: telemetry off, quiet TensorFlow, no hub access."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    if extra:
        env.update(extra)
    return env


def ensure_trained(root: Path, models_dir: Path, rasa_python: Path) -> Path:
    """Return the trained model for the current inputs, training it first if it does not exist yet."""
    from danvan.nlu_variants import write_variants

    write_variants(root)
    models_dir.mkdir(parents=True, exist_ok=True)
    name = f"danvan-{inputs_hash(root)}"
    model = models_dir / f"{name}.tar.gz"
    if model.exists():
        log.info("Rasa model %s is up to date; not retraining", model.name)
        return model
    with file_lock(models_dir / ".train.lock"):
        if model.exists():
            return model
        log.info("Training Rasa model %s (inputs changed)", model.name)
        started = time.monotonic()
        cmd = [
            str(rasa_python), "-m", "rasa", "train",
            "--config", str(root / "config.yml"), "--domain", str(root / "domain.yml"),
            "--data", str(root / "data"), "--out", str(models_dir), "--fixed-model-name", name,
        ]
        result = subprocess.run(cmd, cwd=root, env=rasa_env(), capture_output=True, text=True)
        if result.returncode != 0 or not model.exists():
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise TrainingError(f"rasa train failed (exit {result.returncode}):\n{tail}")
        log.info("Trained %s in %.1f s", model.name, time.monotonic() - started)
        for old in models_dir.glob("danvan-*.tar.gz"):
            if old != model:
                old.unlink(missing_ok=True)
    return model
