"""The node heartbeat: this server's row in `nodes`, kept fresh, and the calls of silent nodes closed.

Every `interval` seconds (5, or a third of the timeout when that is shorter) one short write says
this node is up and how many calls it carries; in the same pass the node closes the calls of any
other node silent for `timeout` seconds (see `store.nodes`), then wakes the webhook worker so their
end-of-call webhooks go out at once. On a clean stop the row says `stopped`, so the node is not taken
for a failed one. With one node (the SQLite default) the pass finds no other node and only keeps the
row `/health` lists. `watch`, when given, is shown every node's row after each pass: in a cluster it
keeps Kamailio from sending calls to nodes that are not up (voicedock_ari/sip_entry.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import sqlite_utils

from .store import Database
from .store.nodes import STOPPED, Node, beat, close_failed, list_nodes
from .tasks import cancel_and_wait, every
from .timeutil import iso, utcnow

log = logging.getLogger("voicedock")

HEARTBEAT_SECONDS = 5.0


class NodeHeartbeat:
    def __init__(self, db: Database, node_id: str, capacity: int, price_per_minute: float, *,
                 timeout: float, poke: Callable[[], None], url: str | None = None,
                 interval: float | None = None, clock: Callable[[], datetime] = utcnow,
                 watch: Callable[[list[Node]], Awaitable[object]] | None = None) -> None:
        self.db = db
        self.node_id = node_id
        self.capacity = capacity
        self.price_per_minute = price_per_minute
        self.timeout = timeout
        self.url = url  # where the other nodes send the control commands of this node's calls
        # A row must be rewritten well within the timeout, or a live node passes for a failed one.
        self.interval = interval if interval is not None else min(HEARTBEAT_SECONDS, timeout / 3)
        self._poke = poke
        self._watch = watch
        self._clock = clock
        self._started_at = iso(clock())
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> list[str]:
        """One heartbeat and one sweep; the webhook ids the closed calls enqueued."""
        now = self._clock()
        stale_before = iso(now - timedelta(seconds=self.timeout))

        def step(d: sqlite_utils.Database) -> list[str]:
            beat(d, self.node_id, self.capacity, self._started_at, iso(now), url=self.url)
            return close_failed(d, self.node_id, stale_before, self.price_per_minute)

        ids = await self.db.write(step)
        if ids:
            log.warning("calls of a failed node closed", extra={"node": self.node_id, "webhook_events": len(ids)})
            self._poke()
        if self._watch is not None:
            try:
                await self._watch(await self.db.read(list_nodes))
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the heartbeat itself must go on
                log.warning("node states not passed on (%s: %s)", type(err).__name__, str(err)[:200])
        return ids

    def start(self) -> None:
        self._task = asyncio.create_task(every(self.interval, self.run_once, "node heartbeat"), name="node-heartbeat")

    async def aclose(self) -> None:
        """Stop beating and mark this node `stopped` (best effort: a store that is gone stays gone)."""
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
        try:
            await self.db.write(lambda d: beat(d, self.node_id, self.capacity, self._started_at,
                                               iso(self._clock()), status=STOPPED, url=self.url))
        except Exception:
            log.exception("could not mark the node stopped")
