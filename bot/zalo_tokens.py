"""The Zalo OA access token: refreshed before it expires and persisted, because the refresh token is single-use.

An OA access token lives about 25 hours; the refresh token that renews it can be used once and the answer carries
the next one. Losing that answer (a crash before it is saved) locks the OA out until someone re-authorises it by
hand, so the new pair is written to disk atomically before it is used. The file is seeded from the configured
tokens, and re-seeded when the operator configures a different refresh token. Several processes (the webhook
bridge, the console's delivery) may share the file: a refresh holds an exclusive file lock and first re-reads the
file, adopting a pair another process has just obtained instead of spending the already-used refresh token.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from nlp.files import async_file_lock, write_atomically

log = logging.getLogger(__name__)

REFRESH_PATH = "/v4/oa/access_token"


class ZaloTokenError(Exception):
    """No usable access token: the refresh failed or no refresh token is configured."""


@dataclass
class TokenState:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds; 0 = unknown, refresh at first use
    seed: str  # fingerprint of the configured refresh token this state grew from


def _fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()[:16]


class ZaloTokenManager:
    """Hands out a valid access token, refreshing it `margin_s` seconds before expiry (one refresh at a time)."""

    def __init__(
        self,
        path: Path,
        *,
        app_id: str,
        app_secret: str,
        oauth_base: str,
        http: httpx.AsyncClient,
        access_token: str = "",
        refresh_token: str = "",
        margin_s: float = 3600.0,
        secret_header: str = "secret_key",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.app_id = app_id
        self._app_secret = app_secret
        self.oauth_base = oauth_base.rstrip("/")
        self._http = http
        self.margin_s = margin_s
        self.secret_header = secret_header
        self._clock = clock
        self._lock = asyncio.Lock()
        self._state = self._load_or_seed(access_token, refresh_token)

    def _load_or_seed(self, access_token: str, refresh_token: str) -> TokenState:
        seed = _fingerprint(refresh_token) if refresh_token else ""
        if self.path.exists():
            try:
                state = TokenState(**json.loads(self.path.read_text(encoding="utf-8")))
            except (ValueError, TypeError) as exc:
                log.error("unreadable Zalo token file %s, re-seeding from settings: %s", self.path, exc)
            else:
                if not refresh_token or state.seed == seed:
                    return state
                log.info("a new Zalo refresh token was configured; replacing the saved tokens")
        # Without a refresh token the configured access token is all we have: use it until Zalo rejects it.
        expires_at = 0.0 if refresh_token else float("inf")
        state = TokenState(access_token, refresh_token, expires_at, seed)
        if refresh_token:
            self._save(state)
        return state

    def _save(self, state: TokenState) -> None:
        write_atomically(self.path, json.dumps(asdict(state)), permissions=0o600)  # tokens: owner-only

    @property
    def expires_at(self) -> float:
        return self._state.expires_at

    def _read_file(self) -> TokenState | None:
        try:
            state = TokenState(**json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return state if state.seed == self._state.seed else None

    def _needs_refresh(self, state: TokenState) -> bool:
        return self._clock() + self.margin_s >= state.expires_at

    @contextlib.asynccontextmanager
    async def _file_lock(self) -> AsyncIterator[None]:
        """Exclusive lock shared with other processes using the same token file."""
        async with async_file_lock(self.path.with_suffix(self.path.suffix + ".lock")):
            yield

    async def access_token(self) -> str:
        """A token valid for at least `margin_s` more seconds (refreshing if needed)."""
        if self._needs_refresh(self._state):
            await self.refresh(stale=self._state.access_token)
        if not self._state.access_token:
            raise ZaloTokenError("no Zalo access token is configured")
        return self._state.access_token

    async def refresh(self, *, stale: str | None = None) -> None:
        """Exchange the refresh token for a new pair; skipped if another task already replaced `stale`."""
        async with self._lock, self._file_lock():
            on_disk = self._read_file()
            if on_disk is not None and on_disk.access_token != self._state.access_token:
                self._state = on_disk  # another process refreshed meanwhile
            if stale is not None and self._state.access_token != stale and not self._needs_refresh(self._state):
                return  # refreshed by a concurrent caller while we waited
            state = self._state
            if not state.refresh_token:
                raise ZaloTokenError("the Zalo access token cannot be renewed: no refresh token is configured")
            try:
                response = await self._http.post(
                    f"{self.oauth_base}{REFRESH_PATH}",
                    headers={self.secret_header: self._app_secret},
                    data={"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": state.refresh_token},
                )
                data = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ZaloTokenError(f"Zalo token refresh failed: {type(exc).__name__}") from exc
            if response.status_code != 200 or not isinstance(data, dict) or not data.get("access_token"):
                detail = data.get("error_name") or data.get("error") if isinstance(data, dict) else None
                raise ZaloTokenError(f"Zalo refused the token refresh (HTTP {response.status_code}, {detail})")
            lifetime = float(data.get("expires_in") or 90000)
            new_state = TokenState(
                access_token=str(data["access_token"]),
                refresh_token=str(data.get("refresh_token") or state.refresh_token),
                expires_at=self._clock() + lifetime,
                seed=state.seed,
            )
            self._save(new_state)
            self._state = new_state
            log.info("Zalo access token refreshed; valid for %.0f h", lifetime / 3600)
