"""Hotspots as the console shows them: several petitions on the same matter from one commune within a short time.

"Same matter" here is the router's topic (or, without one, the agency): cheap, explainable to an operator, and
needing no model in the web process.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from nlp.text import fold
from petitions.store import PetitionBrief, PetitionFilter, PetitionRecord

WINDOW = timedelta(days=14)
MIN_SIZE = 3
LOOKBACK = timedelta(days=60)
Item = PetitionRecord | PetitionBrief  # the overview groups briefs, a petition page full records


@dataclass(frozen=True)
class Hotspot:
    commune: str
    matter: str
    records: tuple[Item, ...]

    @property
    def first(self) -> datetime:
        return self.records[0].created_at

    @property
    def last(self) -> datetime:
        return self.records[-1].created_at


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """fold() of a topic or commune name; the same few dozen names recur across thousands of petitions."""
    return fold(text)


def _key(record: Item) -> tuple[str, str] | None:
    commune = record.commune_code or (_folded(record.commune_name) if record.commune_name else "")
    if not commune:
        return None
    return commune, _folded(record.topic) if record.topic else record.agency


def _groups(records: list[Item]) -> list[Hotspot]:
    """Runs of at least MIN_SIZE petitions with one key whose creation times fit in WINDOW."""
    by_key: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for r in records:
        key = _key(r)
        if key is not None:
            by_key[key].append(r)
    found = []
    for items in by_key.values():
        items.sort(key=lambda r: (r.created_at, r.id))
        best: list[Item] = []
        start = 0
        for end in range(len(items)):
            while items[end].created_at - items[start].created_at > WINDOW:
                start += 1
            if end - start + 1 > len(best):
                best = items[start:end + 1]
        if len(best) >= MIN_SIZE:
            head = best[-1]
            found.append(Hotspot(head.commune_name or "", head.topic or head.agency, tuple(best)))
    found.sort(key=lambda h: (-len(h.records), -h.last.timestamp()))
    return found


def current_hotspots(store: Any, today: date) -> list[Hotspot]:
    since = datetime(today.year, today.month, today.day, tzinfo=UTC) - LOOKBACK
    return _groups(store.recent_brief(since))


def cluster_of(store: Any, record: PetitionRecord) -> list[PetitionRecord]:
    """Other petitions forming a hotspot with this one (empty when it is not part of one)."""
    key = _key(record)
    if key is None:
        return []
    around = store.recent(record.created_at - WINDOW, until=record.created_at + WINDOW,
                          filters=PetitionFilter(commune=key[0]))
    same = [r for r in around if _key(r) == key]
    if len(same) < MIN_SIZE:
        return []
    return [r for r in same if r.id != record.id]
