"""Fixtures for the dialogue tests: real services on temporary folders, and real rasa-sdk trackers.

Actions are tested in process the way rasa-sdk's own tests do it: a real `Tracker` shaped like the one the Rasa
server sends, a real `CollectingDispatcher`, and the real knowledge base and petition service behind
`actions.runtime`.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def domain_dict() -> dict[str, Any]:
    """domain.yml as the action server receives it from Rasa."""
    return yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def action_services(tmp_path_factory: pytest.TempPathFactory, model_path: str, encoder: Any) -> Iterator[Any]:
    """The application's real services on a temporary var/ folder, handed to actions/ as the action server does."""
    import actions.runtime
    from danvan.services import AppServices
    from danvan.settings import Settings

    var_dir = tmp_path_factory.mktemp("actions-var")
    # The router's fitted classifier is cached by routing-table and model digest: share it across test sessions
    # instead of refitting it (over a minute on two cores) every time.
    shared_cache = REPO_ROOT / "var" / "cache"
    shared_cache.mkdir(parents=True, exist_ok=True)
    (var_dir / "cache").symlink_to(shared_cache, target_is_directory=True)
    settings = Settings(_env_file=None, var_dir=var_dir, embedding_model=model_path)  # never the developer's .env
    services = AppServices(settings)
    services.__dict__["encoder"] = encoder  # share the session's model instead of loading a second copy
    actions.runtime.configure(services)
    yield services
    services.store.close()


def make_tracker(
    text: str = "",
    *,
    intent: str = "",
    confidence: float = 1.0,
    entities: list[dict[str, Any]] | None = None,
    sender_id: str | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
    candidates: dict[str, Any] | None = None,
    message_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """A tracker as Rasa sends it after the citizen's latest message.

    `candidates` are the slot values the form extracted from that message; like Rasa's form action, they are
    appended as trailing `slot` events, which is how `FormValidationAction` finds what to validate.
    """
    from rasa_sdk import Tracker

    sender_id = sender_id or f"citizen-{uuid.uuid4().hex[:8]}"
    # As Rasa sends it: the NLU parse in latest_message; message id and metadata only on the `user` event.
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
    }
    ids = {"message_id": message_id or uuid.uuid4().hex, "metadata": metadata or {}}
    all_slots = {"requested_slot": requested_slot, **(slots or {})}
    now = time.time()
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen", "timestamp": now - 1},
    ]
    if all_slots.get("consent") is True:
        # As Rasa records it: consent is a slot event after the form's activation, not only a slot value.
        events += [{"event": "active_loop", "name": "petition_form", "timestamp": now - 1},
                   {"event": "slot", "name": "consent", "value": True, "timestamp": now - 1}]
    events += [
        {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest", "timestamp": now,
         **ids},
    ]
    if candidates:
        events.append({"event": "action", "name": active_loop or "petition_form", "timestamp": now})
        events.append({"event": "slot", "name": "requested_slot", "value": requested_slot, "timestamp": now})
        for name, value in candidates.items():
            events.append({"event": "slot", "name": name, "value": value, "timestamp": now})
            all_slots[name] = value
    return Tracker(
        sender_id,
        all_slots,
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots an action set, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts_of(dispatcher: Any) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)
