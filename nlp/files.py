"""File-system primitives the whole project shares: a write that readers never see half done, and a lock between
processes.

Several processes share var/ (the action server, the web app, `danvan train`, the Telegram and Zalo bridges, test
stacks), so a file another process may read is replaced in one rename, and work only one of them may do at a time is
guarded by a lock file (`filelock`, the same advisory lock on every platform). This module lives in nlp/, the bottom
layer, because nlp/ itself needs both (the embedding model's build) and every other package may import it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from filelock import AsyncFileLock, FileLock


def write_atomically(path: Path, data: bytes | str, *, permissions: int = 0o644) -> None:
    """Replace `path` with `data` in one rename: a reader (or a crash) sees the old content or the new, never part.

    The temporary file is created owner-only in the same folder (a rename across file systems is not atomic), synced
    to disk, given `permissions` and only then renamed over `path`. Text is written as UTF-8.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder `new` in place of `target` (same parent): the old one is renamed aside, then deleted.

    A reader holding files of the old folder open keeps reading them; one that opens `target` afterwards sees the new
    folder whole. Two renames, not one: a folder cannot be renamed over a non-empty one.
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def file_lock(path: Path, *, timeout: float = -1) -> FileLock:
    """An exclusive lock between processes on `path` (created with its folder if missing), held inside `with`.

    `timeout` seconds before `filelock.Timeout` is raised; -1 waits for ever. The lock file is kept: deleting it on
    release would let a waiting process lock a file a newcomer no longer sees.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, timeout=timeout, preserve_lock_file=True)


def async_file_lock(path: Path, *, timeout: float = -1) -> AsyncFileLock:
    """`file_lock` for coroutines (`async with`): waiting for the lock runs in a thread, not on the event loop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return AsyncFileLock(path, timeout=timeout, preserve_lock_file=True)
