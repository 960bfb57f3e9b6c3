"""What one live call needs from the node it runs on, handed to it at creation.

A call gets these collaborators instead of a reference to the controller, so the call's code shows
everything it may touch, the controller stays the only owner of the set of calls, and a test can
build a call with its own parts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from voicedock.config import Settings
from voicedock.conversation.base import SessionFactory
from voicedock.metrics import Metrics
from voicedock.store import Database
from voicedock.store.call_state import CallRecord
from voicedock.webhooks import WebhookClient

from .ari.client import AriClient
from .call_media import StasisStarts

T = TypeVar("T")


@dataclass(frozen=True)
class CallDeps:
    ari: AriClient
    db: Database
    webhooks: WebhookClient
    starts: StasisStarts
    session_factory: SessionFactory
    settings: Settings
    metrics: Metrics
    asterisk_root: Path | None  # where Asterisk's files are (its recordings), when it is local
    media_format: str
    analyse: bool  # whether an ended call waits for post-call analysis before its report
    poke: Callable[[list[str] | None], None]  # new webhook events were written: wake the delivery worker
    report_pending: Callable[[CallRecord], None]  # analyse this ended call, then send its report
    forget: Callable[[str], None]  # the call (by id) has ended: drop it from the node's calls
    has_sound: Callable[[str], Awaitable[bool]]
    dial_string: Callable[[str, str | None], Awaitable[str]]  # (destination, phone_number_id) -> dial string

    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await self.db.write(fn)

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await self.db.read(fn)
