"""Build the heavy objects (embedding model, knowledge index, petition store, router) from the settings, once.

Everything is lazy so a command pays only for what it uses: `danvan route` never opens the knowledge index, the web
app never loads the router unless a page needs it.
"""
from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from danvan.settings import Settings

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
    def encoder(self) -> Any:
        from nlp.embedding import load_encoder
        from nlp.model_build import ensure_model

        s = self.settings
        model = s.embedding_model or str(ensure_model(s.model_dir))
        return load_encoder(model, query_prefix=s.query_prefix, passage_prefix=s.passage_prefix)

    @cached_property
    def knowledge(self) -> Any:
        from knowledge import KnowledgeBase

        return KnowledgeBase.open(self.settings.index_dir, self.encoder, ann_threshold=self.settings.ann_threshold)

    @cached_property
    def store(self) -> Any:
        from petitions import PetitionStore

        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        store = PetitionStore(self.settings.petitions_url)
        store.migrate()
        return store

    @cached_property
    def router(self) -> Any:
        from petitions import Router

        return Router.load(self.settings.routing_table, self.encoder, cache_dir=self.settings.cache_dir)

    @cached_property
    def communes(self) -> Any:
        from petitions import CommuneDirectory

        return CommuneDirectory.load(self.settings.communes_file)

    @cached_property
    def deadlines(self) -> Any:
        from petitions import DeadlinePolicy

        return DeadlinePolicy.load(self.settings.deadlines_file)

    @cached_property
    def petitions(self) -> Any:
        from petitions import PetitionService

        return PetitionService(self.store, self.router, self.communes, self.deadlines)

    def warm_up(self) -> None:
        """Load everything the action server needs before it accepts the first request."""
        _ = self.knowledge
        _ = self.petitions
