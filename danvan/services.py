"""Build the heavy objects (embedding model, knowledge index, petition store, router) from the settings, once.

Everything is lazy so a command pays only for what it uses: `danvan route` never opens the knowledge index, the web
app never loads the router unless a page needs it.
"""
from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from danvan.settings import Settings

if TYPE_CHECKING:  # imported where built: each costs seconds (torch, FAISS, SQLAlchemy) and not every command needs it
    from knowledge import KnowledgeBase
    from knowledge.tuning import Tuning
    from nlp.protocols import TextEncoder
    from petitions import CommuneDirectory, DeadlinePolicy, PetitionService, PetitionStore, Router
    from petitions.chat_log import ChatLog

log = logging.getLogger(__name__)


class AppServices:
    """The application's capabilities, wired from one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store, where the actions blank a petition form's personal values once it is done."""
        return self.settings.tracker_url

    @cached_property
    def chat_log(self) -> ChatLog:
        """The web chat's history (petitions/chat_log.py), which the actions blank like the tracker store."""
        from petitions.chat_log import chat_log_config, open_chat_log

        return open_chat_log(self.settings.petitions_url, chat_log_config(self.settings))

    @cached_property
    def encoder(self) -> TextEncoder:
        from nlp.embedding import load_encoder
        from nlp.model_build import ensure_model

        s = self.settings
        model = s.embedding_model or str(ensure_model(s.model_dir))
        return load_encoder(model, query_prefix=s.query_prefix, passage_prefix=s.passage_prefix)

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        from knowledge import KnowledgeBase

        return KnowledgeBase.open(self.settings.index_dir, self.encoder, ann_threshold=self.settings.ann_threshold,
                                  tuning=self.tuning)

    @cached_property
    def store(self) -> PetitionStore:
        from petitions import PetitionStore

        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        store = PetitionStore(self.settings.petitions_url)
        store.migrate()
        return store

    @cached_property
    def router(self) -> Router:
        from petitions import Router

        return Router.load(self.settings.routing_table, self.encoder, cache_dir=self.settings.cache_dir,
                           tuning=self.tuning)

    @cached_property
    def tuning(self) -> Tuning:
        """The tuned numbers of retrieval, answers and the router (knowledge/data/tuning.yml), read once."""
        from knowledge.tuning import Tuning

        return Tuning.load(self.settings.tuning_file)

    @cached_property
    def communes(self) -> CommuneDirectory:
        from petitions import CommuneDirectory

        return CommuneDirectory.load(self.settings.communes_file)

    @cached_property
    def deadlines(self) -> DeadlinePolicy:
        from petitions import DeadlinePolicy

        return DeadlinePolicy.load(self.settings.deadlines_file)

    @cached_property
    def petitions(self) -> PetitionService:
        from petitions import PetitionService

        return PetitionService(self.store, self.router, self.communes, self.deadlines,
                               triage_agency=self.settings.triage_agency)

    def warm_up(self) -> None:
        """Load everything the action server needs before it accepts the first request."""
        _ = self.knowledge
        _ = self.petitions
