"""The shared file primitives (nlp/files.py): another process never reads half a file, and never holds a lock at the
same time as us. Real processes, real files; every wait has a deadline and ends on a positive signal."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import filelock
import pytest

from nlp.files import file_lock, replace_folder, write_atomically

REPO_ROOT = Path(__file__).resolve().parents[1]

# Holds the lock, says so on stdout, and releases it when its stdin closes.
_HOLDER = """
import sys
from pathlib import Path
from nlp.files import file_lock
with file_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
print("released", flush=True)
"""

# Reads the file as fast as it can until told to stop; prints every content that is not one whole version.
_READER = """
import sys
from pathlib import Path
path, stop = Path(sys.argv[1]), Path(sys.argv[2])
print("reading", flush=True)
reads = 0
while not stop.exists():
    text = path.read_text(encoding="utf-8")
    reads += 1
    if len(set(text)) != 1 or len(text) != 100_000:
        print("torn", len(text), flush=True)
print("reads", reads, flush=True)
"""


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO_ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_a_lock_held_by_another_process_keeps_us_out_until_it_is_released(tmp_path: Path) -> None:
    lock_path = tmp_path / "deep" / "work.lock"
    holder = _child(_HOLDER, str(lock_path))
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(filelock.Timeout), file_lock(lock_path, timeout=0.2):
            pass
        holder.stdin.close()
        assert holder.stdout.readline().strip() == "released"
        with file_lock(lock_path, timeout=10):
            assert lock_path.exists()
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_reader_in_another_process_sees_only_whole_versions(tmp_path: Path) -> None:
    path = tmp_path / "shared.txt"
    stop = tmp_path / "stop"
    write_atomically(path, "a" * 100_000)
    reader = _child(_READER, str(path), str(stop))
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "reading"
        deadline = time.monotonic() + 20
        for i in range(300):
            write_atomically(path, "bcdefghij"[i % 9] * 100_000)
            assert time.monotonic() < deadline
        stop.touch()
        out, _ = reader.communicate(timeout=20)
    finally:
        reader.kill()
        reader.wait(timeout=10)
    assert "torn" not in out
    assert int(out.split()[-1]) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.txt", "stop"]  # no temporary file left behind


def test_written_files_get_the_permissions_asked_for(tmp_path: Path) -> None:
    write_atomically(tmp_path / "token.json", b"{}", permissions=0o600)
    write_atomically(tmp_path / "public.yml", "tên: Tây Ninh\n")
    assert (tmp_path / "token.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "public.yml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "public.yml").read_text(encoding="utf-8") == "tên: Tây Ninh\n"


def test_a_replaced_folder_is_the_new_one_whole_and_the_old_one_is_gone(tmp_path: Path) -> None:
    target, new = tmp_path / "index", tmp_path / ".index.new"
    target.mkdir()
    (target / "old-only").write_text("old")
    new.mkdir()
    (new / "manifest.json").write_text("new")
    replace_folder(new, target)
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
