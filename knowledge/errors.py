"""Errors raised by the knowledge base; callers at the edges translate them into user messages."""
from __future__ import annotations


class KnowledgeError(Exception):
    """Base class for every failure of the knowledge base."""


class IngestError(KnowledgeError):
    """A document could not be read or split (empty, binary, encrypted, undecodable, unsupported type).

    Raised before anything is written, so the existing index stays as it was.
    """

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"cannot ingest {path}: {reason}")
        self.path = path
        self.reason = reason


class IndexCorruptError(KnowledgeError):
    """The files under the index folder do not agree with each other (e.g. a half-copied folder)."""
