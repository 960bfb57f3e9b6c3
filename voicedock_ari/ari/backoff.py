"""Reconnect delays: exponential, capped, with full jitter so many clients do not retry in step."""

from __future__ import annotations

import random
from collections.abc import Iterator


def backoff_delays(
    base: float = 0.2, cap: float = 10.0, factor: float = 2.0, rng: random.Random | None = None
) -> Iterator[float]:
    """Endless delays in [0, min(cap, base * factor**n)]; restart the iterator after a success."""
    rand = rng or random.Random()
    ceiling = base
    while True:
        yield rand.uniform(0, ceiling) if ceiling > base else ceiling
        ceiling = min(cap, ceiling * factor)


def reconnect_delays() -> Iterator[float]:
    """ARI reconnects: capped at 1 s, because while the app is not registered Asterisk refuses every
    new call (the dialplan holds a caller up to 10 s for it), and one GET a second costs it nothing."""
    return backoff_delays(base=0.2, cap=1.0)
