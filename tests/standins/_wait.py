"""Waiting for something a stand-in records, from async or sync test code."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_for(probe: Callable[[], T], timeout_s: float = 5.0, interval_s: float = 0.02) -> T:
    """Poll `probe` until it returns something truthy; raise TimeoutError with the last value otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s (last value: {value!r})")
        await asyncio.sleep(interval_s)


def wait_for_sync(probe: Callable[[], T], timeout_s: float = 5.0, interval_s: float = 0.02) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s} s (last value: {value!r})")
        time.sleep(interval_s)
