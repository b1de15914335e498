"""Reading the JSON-lines inputs of `danvan ask --jsonl` and `danvan route --jsonl`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from danvan.errors import CommandError


def read_field(path: Path, field: str) -> list[str]:
    """The `field` string of every non-empty line, in order; `-` reads standard input. Bad lines name their number."""
    try:
        lines = sys.stdin.read().splitlines() if str(path) == "-" else path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    values = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}:{number}: not a JSON object ({exc.msg})") from exc
        if not isinstance(item, dict) or not isinstance(item.get(field), str):
            raise CommandError(f'{path}:{number}: expected an object with a "{field}" string')
        values.append(item[field])
    return values
