"""`rasa test` on the test stories: every conversation in tests/stories is predicted exactly, NLU and dialogue."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from danvan.rasa_model import ensure_trained, rasa_env
from danvan.settings import Settings

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_all_test_stories_pass(tmp_path: Path) -> None:
    settings = Settings()
    model = ensure_trained(REPO_ROOT, REPO_ROOT / "var" / "rasa-models", settings.rasa_python)
    result = subprocess.run(
        [str(settings.rasa_python), "-m", "rasa", "test", "core", "--model", str(model),
         "--stories", str(REPO_ROOT / "tests" / "stories"), "--out", str(tmp_path), "--no-plot"],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed
    report = json.loads((tmp_path / "story_report.json").read_text(encoding="utf-8"))
    assert report["conversation_accuracy"]["accuracy"] == 1.0
