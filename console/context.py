"""Everything the console's pages use, built lazily from the WebConfig on first need.

Building the app opens nothing: the petitions store is opened (and migrated) and the console tables are created
when the first console request arrives; the knowledge base is loaded only when the Documents page is used.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from console.accounts import Accounts, LockoutPolicy
from console.agencies import AgencyDirectory
from console.audit import AuditLog
from console.config import WebConfig
from console.transcript import TranscriptReader

if TYPE_CHECKING:  # the store and the directory are imported when first used: building the app opens nothing
    from petitions.communes import CommuneDirectory
    from petitions.store import PetitionStore

log = logging.getLogger(__name__)


class ConsoleContext:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._schema_ready = False
        self._knowledge: Any = None

    @cached_property
    def store(self) -> PetitionStore:
        if self.config.petition_store is not None:
            return self.config.petition_store
        from petitions.store import PetitionStore

        if not self.config.database_url:
            raise RuntimeError("WebConfig.database_url is empty: the console needs the petitions store")
        store = PetitionStore(self.config.database_url)
        store.migrate()
        return store

    def ready(self) -> None:
        """Create the console's tables once (cheap when they exist)."""
        if self._schema_ready:
            return
        with self._lock:
            if not self._schema_ready:
                self.accounts.ensure_schema()
                self._schema_ready = True

    @cached_property
    def accounts(self) -> Accounts:
        c = self.config
        policy = LockoutPolicy(failures=c.lockout_failures, window=timedelta(seconds=c.lockout_window_s),
                               lock_for=timedelta(seconds=c.lockout_s))
        return Accounts(self.store.engine, lockout=policy, session_idle=timedelta(seconds=c.session_idle_s),
                        session_max=timedelta(seconds=c.session_max_s))

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.store.engine)

    @cached_property
    def agencies(self) -> AgencyDirectory:
        return AgencyDirectory.load(self.config.agencies_file)

    @cached_property
    def communes(self) -> CommuneDirectory | None:
        """The commune directory for the filter's choices, or None (the filter then takes free text)."""
        path = self.config.communes_file
        if path is None or not path.is_file():
            return None
        from petitions.communes import CommuneDirectory

        try:
            return CommuneDirectory.load(path)
        except (OSError, ValueError) as exc:  # a broken data file degrades the filter to free text, logged
            log.error("commune directory %s unusable: %s", path, exc)
            return None

    @cached_property
    def transcripts(self) -> TranscriptReader:
        return TranscriptReader(self.config.tracker_url)

    @property
    def deliverer(self) -> Any:
        return self.config.deliverer

    @property
    def has_knowledge(self) -> bool:
        return self.config.knowledge_factory is not None

    def knowledge(self) -> Any:
        """The knowledge base, built on first call (loads the embedding model); None when not configured."""
        if self._knowledge is None and self.config.knowledge_factory is not None:
            with self._lock:
                if self._knowledge is None:
                    self._knowledge = self.config.knowledge_factory()
        return self._knowledge
