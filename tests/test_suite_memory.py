"""The memory guard (tests/memory_guard.py) fails a test over its budget and writes the session's figures."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_a_test_over_its_budget_fails_and_one_within_passes(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.memory_budget(process_mb=1)\n"
        "def test_over():\n    pass\n\n"
        "def test_within():\n    pass\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.memory_guard",
         "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=120)
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "memory budget exceeded: process python" in done.stdout
    assert "peak memory, all test processes together" in done.stdout
