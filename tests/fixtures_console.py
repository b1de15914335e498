"""Fixtures of the console tests: a real SQLite petitions store in tmp_path, the web app on it, accounts, a Rasa-like
tracker database, and helpers that log in through the real login form."""
from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from console.app import create_console_app
from console.config import WebConfig
from petitions.store import NewPetition, PetitionRecord, PetitionStore, vn_today

PASSWORD = "mat-khau-thu-nghiem-1"
AGENCY_A = "so-xay-dung"
AGENCY_B = "so-y-te"
AGENCIES_FILE = Path(__file__).resolve().parents[1] / "petitions" / "data" / "agencies.yml"
COMMUNES_YAML = """\
phuong:
  - {name: Tân Ninh, area: "TP Tây Ninh (cũ)"}
  - {name: Long Hoa, area: "TX Hòa Thành (cũ)"}
xa:
  - {name: Tân Biên, area: "huyện Tân Biên (cũ)"}
"""
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def create_tracker_db(path: Path) -> None:
    """The `events` table as Rasa's SQLTrackerStore creates it."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), "
            "data TEXT)"
        )


def add_tracker_events(path: Path, sender_id: str, turns: list[tuple[str, str]], at: datetime, *,
                       form: bool = False) -> None:
    """Append user/bot turns (one second apart, ending at `at`) plus an action event, as Rasa writes them; with
    `form`, the petition form is activated after the first turn, as a petition request does."""
    with sqlite3.connect(path) as db:
        start = at.timestamp() - len(turns)
        for i, (who, text) in enumerate(turns):
            stamp = start + i
            if form and i == 1:
                db.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                    "VALUES (?, 'active_loop', ?, NULL, 'petition_form', ?)",
                    (sender_id, stamp, json.dumps({"event": "active_loop", "name": "petition_form"})),
                )
            db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES (?, ?, ?, NULL, NULL, ?)",
                (sender_id, who, stamp, json.dumps({"event": who, "timestamp": stamp, "text": text})),
            )
            db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                "VALUES (?, 'action', ?, NULL, 'action_listen', ?)",
                (sender_id, stamp, json.dumps({"event": "action", "name": "action_listen"})),
            )


@dataclass
class ConsoleEnv:
    tmp: Path
    store: PetitionStore
    tracker_path: Path
    config: WebConfig
    app: Any
    _counter: int = 0
    created: list[PetitionRecord] = field(default_factory=list)

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=True)

    def add_user(self, username: str, role: str = "operator", agency: str | None = AGENCY_A,
                 commune: str | None = None) -> None:
        ctx = self.app.state.console
        ctx.ready()
        ctx.accounts.add_user(username, PASSWORD, role, agency, commune)

    def login(self, client: TestClient, username: str, password: str = PASSWORD) -> Any:
        page = client.get("/console/login")
        return client.post("/console/login", data={"username": username, "password": password,
                                                     "csrf_token": csrf_of(page.text), "next": "/console/"})

    def petition(self, text: str = "Đường giao thông ấp 3 bị hư hỏng nặng, xe cộ đi lại rất khó khăn.", *,
                 agency: str = AGENCY_A, kind: str = "phan-anh-kien-nghi", consent: bool = True,
                 channel: str = "telegram", sender_id: str | None = None, commune: str | None = "Tân Ninh",
                 commune_code: str | None = "phuong-tan-ninh", topic: str = "đường giao thông",
                 confidence: float = 0.82, due_in_days: int | None = 10, phone: str | None = None) -> PetitionRecord:
        self._counter += 1
        n = self._counter
        result = self.store.create(NewPetition(
            channel=channel, sender_id=sender_id or f"{channel}:{5000 + n}", text=text, agency=agency, kind=kind,
            idempotency_key=f"console-test-{n}", consent_given=consent,
            consent_text="Đồng ý" if consent else None, consent_at=datetime.now(UTC) if consent else None,
            contact_phone=phone, commune_name=commune, commune_matched=commune_code is not None,
            commune_code=commune_code, topic=topic, confidence=confidence,
            due_date=None if due_in_days is None else vn_today() + timedelta(days=due_in_days),
        ))
        self.created.append(result.record)
        return result.record

    def get(self, code: str) -> PetitionRecord:
        record = self.store.get_by_code(code)
        assert record is not None
        return record


def build_console_env(tmp_path: Path, database_url: str | None = None, **config: Any) -> ConsoleEnv:
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = PetitionStore(database_url or f"sqlite:///{tmp_path / 'petitions.db'}")
    store.migrate()
    tracker = tmp_path / "tracker.db"
    create_tracker_db(tracker)
    (tmp_path / "communes.yml").write_text(COMMUNES_YAML, encoding="utf-8")
    web = WebConfig(
        rasa_url="http://127.0.0.1:9", session_secret="test-secret-" + "x" * 32, database_url=store.url,
        tracker_url=f"sqlite:///{tracker}", var_dir=tmp_path / "var", agencies_file=AGENCIES_FILE,
        communes_file=tmp_path / "communes.yml", petition_store=store, **config,
    )
    return ConsoleEnv(tmp_path, store, tracker, web, create_console_app(web))


@pytest.fixture
def console_env(tmp_path: Path) -> Iterator[ConsoleEnv]:
    env = build_console_env(tmp_path)
    env.add_user("admin", "admin", None)
    env.add_user("op-a", "operator", AGENCY_A)
    env.add_user("op-b", "operator", AGENCY_B)
    yield env
    env.store.close()


@pytest.fixture
def make_console_env(tmp_path: Path) -> Callable[..., ConsoleEnv]:
    """Build an env with custom WebConfig fields (a deliverer, lockout numbers, a knowledge factory)."""
    envs: list[ConsoleEnv] = []

    def make(**config: Any) -> ConsoleEnv:
        env = build_console_env(tmp_path / f"env{len(envs)}", **config) if envs else build_console_env(
            tmp_path, **config)
        env.add_user("admin", "admin", None)
        env.add_user("op-a", "operator", AGENCY_A)
        env.add_user("op-b", "operator", AGENCY_B)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.store.close()


def today() -> date:
    return vn_today()
