"""Whether this node is draining: it lets its live calls finish but takes no new ones.

One small object shared by the call side (which refuses new calls) and the API (whose `/health`
answers 503 so a load balancer or a SIP proxy sends new work to another node). The serve loop
starts it on the first SIGTERM/SIGINT, which is also what `voicedock drain` sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Drain:
    seconds: float = 0.0  # how long live calls may go on once draining started
    started: float | None = None  # time.monotonic() when it started

    def begin(self, seconds: float) -> None:
        if self.started is None:
            self.seconds = seconds
            self.started = time.monotonic()

    @property
    def active(self) -> bool:
        return self.started is not None

    def seconds_left(self) -> float:
        if self.started is None:
            return self.seconds
        return max(0.0, self.seconds - (time.monotonic() - self.started))
