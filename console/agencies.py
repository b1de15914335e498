"""Agency codes and names for display and for the reassign form, from the petitions routing table (data, not code).

The table is read with the petitions package's own loader, so the console and the router never disagree about
which agencies exist. Codes found in the store but missing from the table still show (by their code).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from petitions.routing_table import RoutingTable, RoutingTableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Agency:
    code: str
    name: str


class AgencyDirectory:
    def __init__(self, agencies: list[Agency]) -> None:
        self._by_code = {a.code: a for a in agencies}

    @classmethod
    def load(cls, path: Path | None) -> AgencyDirectory:
        """The agencies of the routing table; empty (names shown as codes) when the table is missing or broken."""
        if path is None or not Path(path).is_file():
            if path is not None:
                log.warning("routing table %s not found; agencies show by code", path)
            return cls([])
        try:
            table = RoutingTable.load(Path(path))
        except (OSError, RoutingTableError) as exc:
            log.error("routing table %s unusable, agencies show by code: %s", path, exc)
            return cls([])
        return cls([Agency(a.code, a.name) for a in table.agencies])

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def name(self, code: str | None) -> str:
        if not code:
            return ""
        agency = self._by_code.get(code)
        return agency.name if agency else code

    def all(self) -> list[Agency]:
        return list(self._by_code.values())
