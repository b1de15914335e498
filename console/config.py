"""Plain configuration of the web app, filled from the settings by the app shell."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WebConfig:
    rasa_url: str
    session_secret: str
    rasa_token: str = ""
    database_url: str = ""
    tracker_url: str = ""
    var_dir: Path = Path("var")
    extra: dict[str, Any] = field(default_factory=dict)
