"""How many calls this node carries at once, and whether a new one may start.

The engines share the node's cores: every call past the box's measure slows every turn of every
call (2 cores, `cpu` profile, through Asterisk: one call p50 0.83 s; two calls p50 1.69 s, p95 4.1 s;
four calls p50 2.4 s, p95 5.6 s). A caller who hears "all circuits are busy" and tries again later
is better served than one who waits seconds for each reply, so past the capacity a new inbound call
is refused with a record (`rejected`, `capacity`) and `POST /calls` answers 429.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CAPACITY_REASON = "capacity"  # the ended_reason of a call refused because the node is full
UNLIMITED = 0  # a capacity of 0 admits every call


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_capacity(cores: int | None = None) -> int:
    """One call per usable core: on the 2-core reference box, two calls keep the median turn under 2 s;
    a third pushes every caller's p95 past 4 s."""
    return max(1, usable_cores() if cores is None else cores)


@dataclass(frozen=True)
class Admission:
    capacity: int  # calls at once; UNLIMITED (0) for no limit

    def admits(self, load: int) -> bool:
        """Whether one more call may start while `load` calls hold a line."""
        return self.capacity == UNLIMITED or load < self.capacity

    def available(self, load: int) -> int | None:
        """Lines still free (None without a limit)."""
        return None if self.capacity == UNLIMITED else max(0, self.capacity - load)

    def health(self, load: int) -> dict[str, int | str | None]:
        """What `/health` shows a load balancer: the limit, the load, what is left, and whether it is full."""
        return {"capacity": None if self.capacity == UNLIMITED else self.capacity, "active_calls": load,
                "available": self.available(load), "status": "ok" if self.admits(load) else "full"}


class WaitingLine:
    """Callers waiting for a free line, first come first served, at most `size` of them.

    Pure bookkeeping: the controller asks whether a caller is first when a line may be free."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: list[str] = []

    def __len__(self) -> int:
        return len(self._order)

    def join(self, call_id: str) -> bool:
        """Whether the caller may wait (False: the line is full, or there is none)."""
        if len(self._order) >= self.size:
            return False
        self._order.append(call_id)
        return True

    def first(self, call_id: str) -> bool:
        return bool(self._order) and self._order[0] == call_id

    def leave(self, call_id: str) -> None:
        if call_id in self._order:
            self._order.remove(call_id)
