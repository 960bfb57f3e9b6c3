"""How `voicedock serve` stops: the first SIGTERM/SIGINT drains, a second one ends the remaining calls now.

Draining refuses new calls (they hear the busy message and get a `rejected` record), makes
`/health` answer 503 so a load balancer sends new work elsewhere, and lets live calls finish for
up to `drain_seconds`; the calls still live then are ended ("server-shutdown") with their records,
webhooks and usage, as any other ending, before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from voicedock.draining import Drain

if TYPE_CHECKING:
    from voicedock_ari.controller import CallController

log = logging.getLogger("voicedock")

SHUTDOWN_REASON = "server-shutdown"


class StopSignals:
    """`drain` is set by the first signal, `now` by any later one."""

    def __init__(self) -> None:
        self.drain = asyncio.Event()
        self.now = asyncio.Event()

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._received)

    def _received(self) -> None:
        if self.drain.is_set():
            self.now.set()
        self.drain.set()


async def drain_calls(controller: CallController | None, drain: Drain, seconds: float,
                      now: asyncio.Event) -> int:
    """Stop taking calls, wait for the live ones (at most `seconds`, or until `now`), end the rest.

    Returns how many calls had to be ended.
    """
    drain.begin(seconds)
    if controller is None:
        return 0
    controller.drain()
    live = controller.live_calls()
    log.info("draining: no new calls; live calls may finish",
             extra={"live_calls": len(live), "drain_seconds": seconds})
    while controller.live_calls() and not now.is_set() and drain.seconds_left() > 0:
        try:
            await asyncio.wait_for(now.wait(), min(0.2, drain.seconds_left()))
        except TimeoutError:
            pass
    remaining = controller.live_calls()
    if remaining:
        log.warning("drain: ending the calls still live", extra={"live_calls": len(remaining)})
        await asyncio.gather(*(call.request_end("ended", SHUTDOWN_REASON) for call in remaining),
                             return_exceptions=True)
    return len(remaining)
