"""Where actions find the capabilities they glue to.

The action server process (`danvan actions`) builds the services from the settings and hands them over with
`configure()` before serving; actions call `services()` at run time. Keeping this handover explicit means actions/
never reads configuration itself and tests can configure real services built on temporary folders.

The Protocols below are the seam: exactly what the actions call, so `danvan.services.AppServices` (the knowledge base
and `petitions.PetitionService`) is checked against them by mypy, and nothing else of those objects leaks in here.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from knowledge.models import Answer
    from petitions.communes import CommuneMatch
    from petitions.consent import ConsentRecord
    from petitions.router import Route
    from petitions.service import Draft, Receipt, StatusView


class KnowledgeAnswers(Protocol):
    """Dân biết: a cited answer to a question, or a decline."""

    def ask(self, question: str) -> Answer: ...


class PetitionDesk(Protocol):
    """Dân bàn and dân kiểm tra: check what the citizen types, file the petition, report its status, take a rating."""

    def check_phone(self, raw: str | None, *, consent_given: bool = True) -> str | None: ...

    def check_matter(self, text: str | bytes | None) -> str: ...

    def check_commune(self, text: str | bytes | None) -> CommuneMatch: ...

    def preview(self, text: str, commune: CommuneMatch | str | None = None) -> Draft: ...

    def submit(self, *, channel: str, sender_id: str, text: str, consent: ConsentRecord, idempotency_key: str,
               commune: CommuneMatch | str | None = None, phone: str | None = None, kind: str | None = None,
               route: Route | None = None, received: datetime | None = None) -> Receipt: ...

    def status(self, code: str, sender_id: str | None, phone: str | None = None) -> StatusView | None: ...

    def mine(self, sender_id: str, *, limit: int = 10) -> list[StatusView]: ...

    def rate(self, code: str, sender_id: str, *, verdict: str, score: int | None = None,
             reason: str | None = None) -> StatusView: ...

    def awaiting_rating(self, sender_id: str, *, window_days: float) -> list[StatusView]: ...


class ChatHistory(Protocol):
    """The web chat's stored history, blanked like the tracker store once a petition form is done."""

    def redact_since(self, sender: str, since: datetime) -> int: ...


class Services(Protocol):
    """What actions need: the knowledge base (dân biết), the petition workflow (dân bàn, dân kiểm tra) and the
    stores of what the citizen typed (Rasa's tracker store, the web chat's history)."""

    @property
    def knowledge(self) -> KnowledgeAnswers: ...

    @property
    def petitions(self) -> PetitionDesk: ...

    @property
    def tracker_url(self) -> str: ...

    @property
    def chat_log(self) -> ChatHistory: ...


_services: Services | None = None


def configure(services: Services) -> None:
    global _services
    _services = services


def services() -> Services:
    if _services is None:
        raise RuntimeError("actions.runtime.configure() was not called: start the action server with `danvan actions`")
    return _services
