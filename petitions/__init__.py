"""Petitions (dân bàn, dân kiểm tra): durable store, routing to agencies, tracking codes, deadlines.

Names are imported lazily so that `import petitions` stays cheap (no SQLAlchemy, scikit-learn or model at import).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PetitionStore": "petitions.store",
    "NewPetition": "petitions.records",
    "PetitionRecord": "petitions.records",
    "HistoryEntry": "petitions.records",
    "PetitionFilter": "petitions.records",
    "CreateResult": "petitions.records",
    "PetitionInvalid": "petitions.records",
    "PetitionNotFound": "petitions.store",
    "InvalidTransition": "petitions.store",
    "Router": "petitions.router",
    "Route": "petitions.router",
    "KeywordRouter": "petitions.baseline",
    "RoutingTable": "petitions.routing_table",
    "CommuneDirectory": "petitions.communes",
    "CommuneMatch": "petitions.communes",
    "DeadlinePolicy": "petitions.deadlines",
    "PetitionService": "petitions.service",
    "Draft": "petitions.service",
    "Receipt": "petitions.service",
    "StatusView": "petitions.service",
    "classify_kind": "petitions.service",
    "ConsentRecord": "petitions.consent",
    "CONSENT_TEXT_VI": "petitions.consent",
    "parse_consent": "petitions.consent",
    "InputError": "petitions.validation",
    "STATUS_LABELS": "petitions.models",
    "KIND_LABELS": "petitions.models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'petitions' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
