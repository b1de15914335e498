"""Catch a pressing local issue before it becomes a "điểm nóng" (point 4 of the letter).

Several petitions about the same thing (embedding cosine above a threshold) from the same commune within a short
window are grouped into one cluster for the operators. Petitions link when they are similar, close in time and (by
default) routed to the same agency; a cluster is a connected group of at least `min_size` of them. e5 cosines are
high for any two Vietnamese complaints (~0.82–0.88 for unrelated ones, ~0.90–0.97 for the same issue in other
words), hence the high default threshold. Only codes, the commune and a topic leave this
module: no petition text, no contact data.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from nlp.text import fold
from petitions.router import TextEncoder, dense_view
from petitions.store import PetitionRecord, PetitionStore

DEFAULT_SIMILARITY = 0.9
DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_MIN_SIZE = 3


@dataclass(frozen=True)
class Hotspot:
    """A cluster of similar petitions from one commune."""

    commune: str
    commune_code: str | None
    codes: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    agency: str  # the agency most of them were routed to
    topic: str  # the most frequent topic among them
    mean_similarity: float

    @property
    def size(self) -> int:
        return len(self.codes)


def _commune_key(p: PetitionRecord) -> str | None:
    if p.commune_code:
        return p.commune_code
    if p.commune_name and p.commune_name.strip():
        return "typed:" + fold(p.commune_name)
    return None


def find_hotspots(
    petitions: Sequence[PetitionRecord],
    encoder: TextEncoder,
    *,
    similarity: float = DEFAULT_SIMILARITY,
    window: timedelta = DEFAULT_WINDOW,
    min_size: int = DEFAULT_MIN_SIZE,
    same_agency: bool = True,
) -> list[Hotspot]:
    """Clusters among `petitions`, largest and most recent first."""
    groups: dict[str, list[PetitionRecord]] = {}
    for p in petitions:
        key = _commune_key(p)
        if key is not None:
            groups.setdefault(key, []).append(p)
    hotspots: list[Hotspot] = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        members.sort(key=lambda p: p.created_at)
        vectors = np.asarray(encoder.encode_queries([dense_view(p.text) for p in members]), dtype=np.float32)
        hotspots.extend(_clusters(members, vectors @ vectors.T, similarity, window, min_size, same_agency))
    hotspots.sort(key=lambda h: (h.size, h.last_at), reverse=True)
    return hotspots


def recent_hotspots(
    store: PetitionStore,
    encoder: TextEncoder,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    similarity: float = DEFAULT_SIMILARITY,
    min_size: int = DEFAULT_MIN_SIZE,
    same_agency: bool = True,
) -> list[Hotspot]:
    """Clusters among the petitions of the last `window` (the operators' "điểm nóng" panel)."""
    petitions = store.recent(now - window, until=now)
    return find_hotspots(
        petitions, encoder, similarity=similarity, window=window, min_size=min_size, same_agency=same_agency
    )


def _clusters(
    members: list[PetitionRecord],
    sims: np.ndarray,
    similarity: float,
    window: timedelta,
    min_size: int,
    same_agency: bool,
) -> list[Hotspot]:
    n = len(members)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if members[j].created_at - members[i].created_at > window:
                break  # sorted by time: later ones are even further away
            if same_agency and members[i].agency != members[j].agency:
                continue
            if sims[i, j] >= similarity:
                parent[root(j)] = root(i)
    components: dict[int, list[int]] = {}
    for i in range(n):
        components.setdefault(root(i), []).append(i)
    out = []
    for idx in components.values():
        if len(idx) < min_size:
            continue
        group = [members[i] for i in idx]
        pair_sims = [sims[a, b] for k, a in enumerate(idx) for b in idx[k + 1 :]]
        out.append(
            Hotspot(
                commune=group[0].commune_name or "",
                commune_code=group[0].commune_code,
                codes=tuple(p.code for p in group),
                first_at=group[0].created_at,
                last_at=group[-1].created_at,
                agency=Counter(p.agency for p in group).most_common(1)[0][0],
                topic=Counter(p.topic for p in group if p.topic).most_common(1)[0][0] if any(p.topic for p in group)
                else "",
                mean_similarity=round(float(np.mean(pair_sims)), 4),
            )
        )
    return out
