"""Plain configuration of the web app, filled from the settings by the app shell.

The console never reads settings itself: the shell maps them here. Heavy collaborators (the knowledge base, the
deliverer that sends answers to citizens) come in as objects or zero-argument factories, so that building the app
loads no model and opens no connection.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HotspotRule:
    """What the console calls a hotspot ("điểm nóng"): at least `min_size` petitions on one matter from one commune
    created within `window_days`, looked for among the petitions of the last `lookback_days`. The overview states the
    rule from these very numbers, and the overview and the petition page both apply it."""

    min_size: int = 3
    window_days: int = 14
    lookback_days: int = 60


@dataclass(frozen=True)
class WebConfig:
    rasa_url: str
    session_secret: str
    rasa_token: str = ""
    # SQLAlchemy URL of the petitions store; the console keeps its own tables (users, sessions, audit) there too.
    database_url: str = ""
    # SQLAlchemy URL of Rasa's tracker store, read (never written) for petition transcripts.
    tracker_url: str = ""
    var_dir: Path = Path("var")
    # The routing table (petitions/data/agencies.yml): codes and names of the agencies petitions go to.
    agencies_file: Path | None = None
    # The commune directory (petitions/data/communes.yml), for the commune filter's choices.
    communes_file: Path | None = None
    # Send console cookies only over HTTPS (set when the app is served behind TLS).
    cookie_secure: bool = False
    # Lockout: this many failed logins for one user name within `lockout_window_s` lock it for `lockout_s`. Failures
    # from one client address only slow its next attempts down (console/accounts.py LockoutPolicy), never lock.
    lockout_failures: int = 5
    lockout_window_s: int = 900
    lockout_s: int = 900
    # Console sessions end after this much inactivity, and in any case after `session_max_s`.
    session_idle_s: int = 7200
    session_max_s: int = 43200
    # Days before the due date from which an open petition is shown as "near due".
    near_due_days: int = 3
    # The hotspot rule of the overview and the petition page.
    hotspots: HotspotRule = field(default_factory=HotspotRule)
    # Largest document accepted by the Documents page, and largest upload request (all files of one upload).
    max_upload_bytes: int = 20 * 1024 * 1024
    max_upload_request_bytes: int = 64 * 1024 * 1024
    # Largest body of a chat message (JSON or form) and of any other console form.
    max_chat_body_bytes: int = 64 * 1024
    max_form_body_bytes: int = 1024 * 1024
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the client; empty: none.
    trusted_proxies: tuple[str, ...] = ()
    # Web chat turns per minute per chat session and per client address (0: no limit).
    chat_turns_per_minute: int = 20
    chat_turns_per_minute_per_address: int = 120
    # Sends an answer to the citizen's chat: an object with deliver(channel, sender_id, text), sync or async
    # (bot.delivery.Deliverer). Without it answers are stored and left pending for the delivery worker.
    deliverer: Any = None
    # Seconds between passes of the worker that resends answers whose delivery failed; 0 turns it off.
    delivery_retry_s: float = 60.0
    # Zero-argument callable returning the knowledge.KnowledgeBase; called on first use of the Documents page, so
    # the embedding model is not loaded when the app is built.
    knowledge_factory: Callable[[], Any] | None = None
    # An already open petitions.store.PetitionStore to share instead of opening `database_url`.
    petition_store: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
