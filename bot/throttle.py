"""Sliding-window rate limits kept in memory: how many hits one key (a chat, an address, a sender) had recently.

One implementation for every edge: the web chat (turns per chat session and per client address), the action server
(petitions filed per hour per sender) and the Zalo bridge (turns per Zalo user). In-memory means per process: behind
a balancer each process counts its own share, which is what a brake against scripts needs; it is not an accounting
of quotas. The table of keys is bounded, the least recently used key going first.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """At most `limit` hits within any `seconds`."""

    limit: int
    seconds: float


class RateLimiter:
    """`hit(key)` records a hit and says whether it is allowed under every window; refused hits are not counted."""

    def __init__(self, windows: Sequence[Window], *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000) -> None:
        if not windows:
            raise ValueError("a rate limiter needs at least one window")
        self.windows = tuple(windows)
        self._longest = max(w.seconds for w in self.windows)
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return all(w.limit > 0 for w in self.windows)

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = deque()
            self._hits[key] = hits
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self._longest:
            hits.popleft()
        return hits

    def _allowed(self, hits: deque[float], now: float) -> bool:
        for window in self.windows:
            since = now - window.seconds
            if sum(1 for t in hits if t > since) >= window.limit:
                return False
        return True

    def hit(self, key: str) -> bool:
        """Count one hit for `key`; False (and not counted) when a window is already full."""
        if not self.enabled:
            return True
        now = self._clock()
        with self._lock:
            hits = self._recent(key, now)
            if not self._allowed(hits, now):
                return False
            hits.append(now)
            return True

    def allows(self, key: str) -> bool:
        """Whether a hit would be allowed now, without counting one."""
        if not self.enabled:
            return True
        now = self._clock()
        with self._lock:
            return self._allowed(self._recent(key, now), now)

    def record(self, key: str) -> None:
        """Count a hit that already happened (e.g. a petition that was filed), whatever the windows say."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            self._recent(key, now).append(now)


def limiter_or_none(windows: Sequence[Window]) -> RateLimiter | None:
    """A limiter for the windows whose limit is positive; None when every limit is 0 (turned off)."""
    active = [w for w in windows if w.limit > 0]
    return RateLimiter(active) if active else None
