"""Opening the bridges' small state database (dedupe keys, retry queue, menus).

The bridges keep a little durable state so that a restart neither answers an update twice nor forgets a message
waiting for Rasa. It is tiny and local to one bridge process, so SQLite in WAL mode is enough; several stores may
share one file, each owning its tables.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating folders) a SQLite file in autocommit WAL mode; ":memory:" is accepted for throwaway state."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.row_factory = sqlite3.Row
    return conn
