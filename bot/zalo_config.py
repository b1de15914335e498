"""Settings of the Zalo OA integration as one plain object, and the OA sender built from them.

Public sources disagree on details of the OA platform (host names, header names, the webhook signature recipe), so
all of them are values here rather than constants in code; the lead fills this from danvan settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.render import ZALO_TEXT_LIMIT
from bot.zalo_client import ZaloOAClient
from bot.zalo_events import DEFAULT_RECIPE
from bot.zalo_tokens import ZaloTokenManager


@dataclass(frozen=True)
class ZaloConfig:
    """Plain values the lead fills from settings; secrets are hidden from repr."""

    app_id: str
    oa_secret: str = field(repr=False)
    rasa_url: str
    state_dir: Path
    app_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    signature_header: str = "X-ZEvent-Signature"
    signature_recipe: str = DEFAULT_RECIPE
    signature_prefix: str = "mac="
    max_event_age_s: float = 300.0
    webhook_path: str = "/zalo/webhook"
    token_header: str = "access_token"
    secret_header: str = "secret_key"
    refresh_margin_s: float = 3600.0
    text_limit: int = ZALO_TEXT_LIMIT
    menu_ttl_s: float = 1800.0
    workers: int = 4
    rasa_timeout_s: float = 30.0
    retry_interval_s: float = 10.0
    retry_base_delay_s: float = 5.0
    retry_max_age_s: float = 2 * 86400
    max_body_bytes: int = 64 * 1024
    # Notices: a free message only this long after the citizen's last message; beyond it, ZNS templates (by phone).
    free_window_s: float = 48 * 3600
    zns_base: str = "https://business.openapi.zalo.me"
    # Approved ZNS template id per notice event ("accepted", "reassigned", "answered", "closed", "rejected"); an
    # event without one is not sent beyond the window (the citizen checks with the tracking code).
    zns_templates: dict[str, str] = field(default_factory=dict)

    @property
    def state_db(self) -> Path:
        return self.state_dir / "zalo.db"

    @property
    def token_file(self) -> Path:
        return self.state_dir / "zalo_tokens.json"


def build_zalo_client(config: ZaloConfig, http: httpx.AsyncClient) -> ZaloOAClient:
    """The OA sender with its token manager (shared by the bridge and operators' delivery)."""
    tokens = ZaloTokenManager(
        config.token_file,
        app_id=config.app_id,
        app_secret=config.app_secret,
        oauth_base=config.oauth_base,
        http=http,
        access_token=config.access_token,
        refresh_token=config.refresh_token,
        margin_s=config.refresh_margin_s,
        secret_header=config.secret_header,
    )
    return ZaloOAClient(http, config.api_base, tokens, token_header=config.token_header, zns_base=config.zns_base)
