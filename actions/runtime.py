"""Where actions find the capabilities they glue to.

The action server process (`danvan actions`) builds the services from the settings and hands them over with
`configure()` before serving; actions call `services()` at run time. Keeping this handover explicit means actions/
never reads configuration itself and tests can configure real services built on temporary folders.
"""
from __future__ import annotations

from typing import Any, Protocol


class Services(Protocol):
    """What actions need: the knowledge base (dân biết) and the petition workflow (dân bàn, dân kiểm tra)."""

    @property
    def knowledge(self) -> Any: ...

    @property
    def petitions(self) -> Any: ...

    @property
    def tracker_url(self) -> str: ...


_services: Services | None = None


def configure(services: Services) -> None:
    global _services
    _services = services


def services() -> Services:
    if _services is None:
        raise RuntimeError("actions.runtime.configure() was not called: start the action server with `danvan actions`")
    return _services
