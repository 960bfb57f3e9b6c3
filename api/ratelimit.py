"""Fixed-window rate limiting, pure logic with an injectable clock.

Counters live in this process: with several nodes each enforces its own share. That keeps the hot
path free of I/O; a shared limiter would be a store-backed implementation of the same interface.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset)}


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> Decision:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        reset_at = start + self.window
        if count >= self.limit:
            return Decision(False, self.limit, 0, math.ceil(reset_at), max(1, math.ceil(reset_at - now)))
        count += 1
        self._windows[key] = (start, count)
        if len(self._windows) > 10000:
            self._prune(now)
        return Decision(True, self.limit, self.limit - count, math.ceil(reset_at), 0)

    def _prune(self, now: float) -> None:
        for key in [k for k, (s, _) in self._windows.items() if now - s >= self.window]:
            del self._windows[key]
