"""Sliding-window rate limiting (no more than `limit` hits in any `window` seconds), pure logic with an
injectable clock.

Counters live in this process: with several nodes each enforces its own share. That keeps the hot
path free of I/O; a shared limiter would be a store-backed implementation of the same interface.
"""

from __future__ import annotations

import math
import time
from collections import deque
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
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> Decision:
        """Count a hit for `key` unless it is over the limit; the decision either way."""
        return self._decide(key, count=True)

    def check(self, key: str) -> Decision:
        """The decision `hit` would make, without counting anything."""
        return self._decide(key, count=False)

    def _decide(self, key: str, count: bool) -> Decision:
        now = self._clock()
        hits = self._hits.setdefault(key, deque()) if count else self._hits.get(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            free_at = hits[0] + self.window
            return Decision(False, self.limit, 0, math.ceil(free_at), max(1, math.ceil(free_at - now)))
        if count:
            hits.append(now)
            if len(self._hits) > 10000:
                self._prune(now)
        oldest = hits[0] if hits else now
        return Decision(True, self.limit, self.limit - len(hits), math.ceil(oldest + self.window), 0)

    def _prune(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
