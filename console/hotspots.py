"""Hotspots as the console shows them: several petitions on the same matter from one commune within a short time.

"Same matter" here is the router's topic (or, without one, the agency): cheap, explainable to an operator, and
needing no model in the web process. How many petitions, within how many days, looked for how far back: the
console's configuration (`console.config.HotspotRule`), which the overview also states to operators.

The overview looks at weeks of petitions on every request, so the work is done on arrays: the database groups the
petitions (`PetitionStore.arrivals_by_place`), numpy finds each group's longest run, and a hotspot keeps its
petitions' codes, agencies and communes as plain tuples rather than one object per petition.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from console.config import HotspotRule
from nlp.text import fold
from petitions.store import PetitionFilter, PetitionRecord, PlaceArrivals

_MICROSECONDS_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # PlaceArrivals' times count microseconds from here


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One commune's run of petitions on one matter, oldest first; the place and matter as its latest one has them."""

    commune: str
    matter: str
    first: datetime
    last: datetime
    codes: tuple[str, ...]
    agencies: tuple[str, ...]
    commune_codes: tuple[str | None, ...]

    def codes_seen_by(self, sees: Callable[[str, str | None], bool]) -> list[str]:
        """The codes of the petitions `sees(agency, commune_code)` allows (an account's `sees`)."""
        return [code for code, agency, commune in zip(self.codes, self.agencies, self.commune_codes, strict=True)
                if sees(agency, commune)]


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """fold() of a topic or commune name; the same few dozen names recur across thousands of petitions."""
    return fold(text)


def _place_key(commune_code: str | None, commune_name: str | None, topic: str, agency: str) -> tuple[str, str] | None:
    """(commune, matter): the directory's commune code, else the typed name folded; the topic folded, else the
    agency. Petitions without any commune belong to no hotspot."""
    commune = commune_code or (_folded(commune_name) if commune_name else "")
    if not commune:
        return None
    return commune, _folded(topic) if topic else agency


def _key(record: PetitionRecord) -> tuple[str, str] | None:
    return _place_key(record.commune_code, record.commune_name, record.topic, record.agency)


def _longest_run(times: np.ndarray, window_us: int) -> tuple[int, int]:
    """[start, end) of the longest run of sorted times spanning at most `window_us`, the earliest on a tie: for each
    possible last member, the first one is found by bisection (vectorised: thousands of petitions per call)."""
    starts = np.searchsorted(times, times - window_us, side="left")
    end = int(np.argmax(np.arange(1, len(times) + 1) - starts))  # the first maximum
    return int(starts[end]), end + 1


def find_hotspots(groups: list[PlaceArrivals], rule: HotspotRule) -> list[Hotspot]:
    """Per commune and matter, the longest run of petitions whose creation times fit in the rule's window (the
    earliest such run on a tie, petitions ordered by time, then id); runs of at least `rule.min_size` are hotspots,
    the largest and latest first.

    The store groups petitions by their raw columns (several agencies share a topic; "Long Hoa" and "long hoa" are
    one commune): the groups of one commune and matter are merged here, so the result is the same as grouping
    petition by petition.
    """
    by_key: dict[tuple[str, str], list[PlaceArrivals]] = defaultdict(list)
    for group in groups:
        key = _place_key(group.commune_code, group.commune_name, group.topic, group.agency)
        if key is not None:
            by_key[key].append(group)
    window_us = rule.window_days * _MICROSECONDS_PER_DAY
    found = []
    for key, places in by_key.items():
        sizes = [len(place.codes) for place in places]
        if sum(sizes) < rule.min_size:
            continue
        times = np.concatenate([place.times for place in places])
        order = np.lexsort((np.concatenate([place.ids for place in places]), times))  # by time, then id
        start, end = _longest_run(times[order], window_us)
        if end - start < rule.min_size:
            continue
        members = order[start:end]
        owners = [places[n] for n in np.searchsorted(np.cumsum(sizes), members, side="right").tolist()]
        codes = [code for place in places for code in place.codes]
        head = owners[-1]
        found.append((key, Hotspot(
            commune=head.commune_name or "", matter=head.topic or head.agency,
            first=_EPOCH + timedelta(microseconds=int(times[members[0]])),
            last=_EPOCH + timedelta(microseconds=int(times[members[-1]])),
            codes=tuple(codes[g] for g in members.tolist()),
            agencies=tuple(place.agency for place in owners),
            commune_codes=tuple(place.commune_code for place in owners),
        )))
    found.sort(key=lambda kh: (-len(kh[1].codes), -kh[1].last.timestamp(), kh[0]))
    return [hotspot for _key, hotspot in found]


def current_hotspots(store: Any, today: date, rule: HotspotRule) -> list[Hotspot]:
    """Hotspots among the petitions of the rule's lookback period, whoever may see them (the caller filters)."""
    since = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=rule.lookback_days)
    return find_hotspots(store.arrivals_by_place(since), rule)


def cluster_of(store: Any, record: PetitionRecord, rule: HotspotRule | None = None) -> list[PetitionRecord]:
    """Other petitions forming a hotspot with this one (empty when it is not part of one), under `rule` (by default
    the configuration's default rule)."""
    rule = rule or HotspotRule()
    key = _key(record)
    if key is None:
        return []
    window = timedelta(days=rule.window_days)
    around = store.recent(record.created_at - window, until=record.created_at + window,
                          filters=PetitionFilter(commune=key[0]))
    same = [r for r in around if _key(r) == key]
    if len(same) < rule.min_size:
        return []
    return [r for r in same if r.id != record.id]
