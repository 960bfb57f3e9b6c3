"""The retention job: recordings and transcripts older than their settings are deleted, in the background.

Why a job in the server rather than a cron entry: the server already owns the database's one
writer, and a pass is a few short transactions, batched so that live calls writing their state
never wait long behind it. Files are deleted in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

from .store import Database
from .store.privacy import BATCH, Forgotten, expire, kept_recordings
from .tasks import cancel_and_wait, every
from .timeutil import iso, utcnow

log = logging.getLogger("voicedock.retention")


def recording_path(data_dir: Path, call_id: str) -> Path:
    """Where a call's recording is kept (the API serves it from here)."""
    return data_dir / "recordings" / f"{call_id}.wav"


def delete_recordings(data_dir: Path, call_ids: list[str]) -> int:
    """Blocking: remove the files; a file already gone counts as removed."""
    for call_id in call_ids:
        with contextlib.suppress(FileNotFoundError):
            recording_path(data_dir, call_id).unlink()
    return len(call_ids)


ORPHAN_AGE_SECONDS = 600.0  # a file this fresh may be a recording whose call has not yet listed it


def settled_recordings(data_dir: Path, older_than: float, now: float | None = None) -> list[str]:
    """Blocking: the call ids of this node's recording files not written to for `older_than` seconds."""
    folder = data_dir / "recordings"
    now = time.time() if now is None else now
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("call_*.wav") if now - path.stat().st_mtime >= older_than)


async def sweep_orphans(db: Database, data_dir: Path, older_than: float = ORPHAN_AGE_SECONDS) -> int:
    """Delete this node's recording files whose recording the store no longer lists.

    With nodes sharing one store, each keeps the recordings of its calls on its own disk, and a caller's
    erasure (`DELETE /customers/{number}`) through another node's API drops the recordings from the
    store but can delete only that node's files. Every node's pass deletes what is left on its own.
    """
    ids = await asyncio.to_thread(settled_recordings, data_dir, older_than)
    removed = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        kept = await db.read(partial(kept_recordings, call_ids=batch))
        removed += await asyncio.to_thread(delete_recordings, data_dir, [i for i in batch if i not in kept])
    if removed:
        log.info("recordings the store no longer lists deleted", extra={"deleted": removed})
    return removed


def _cutoff(days: int) -> str | None:
    return iso(utcnow() - timedelta(days=days)) if days > 0 else None


async def run_once(db: Database, data_dir: Path, recording_days: int, transcript_days: int,
                   node: str | None = None) -> Forgotten:
    """One pass: batches until nothing older than the cutoffs is left. 0 days keeps forever.
    With `node` (nodes sharing one store), only the recordings of this node's calls, which are on its disk."""
    total = Forgotten()
    recordings_before, transcripts_before = _cutoff(recording_days), _cutoff(transcript_days)
    if recordings_before is None and transcripts_before is None:
        return total
    while True:
        batch = await db.write(lambda d: expire(d, recordings_before, transcripts_before, node))
        await asyncio.to_thread(delete_recordings, data_dir, batch.recordings)
        total.recordings += batch.recordings
        total.transcripts += batch.transcripts
        total.webhook_events += batch.webhook_events
        if len(batch.recordings) < BATCH and batch.transcripts < BATCH:
            break
    if total.recordings or total.transcripts:
        log.info("retention pass", extra={"deleted": total.to_dict(), "recording_days": recording_days,
                                          "transcript_days": transcript_days})
    return total


class RetentionJob:
    """Runs a pass at start and then every `interval` seconds until closed."""

    def __init__(self, db: Database, data_dir: Path, recording_days: int, transcript_days: int,
                 interval: float = 3600.0, node: str | None = None) -> None:
        self.db = db
        self.node = node
        self.data_dir = data_dir
        self.recording_days = recording_days
        self.transcript_days = transcript_days
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.recording_days > 0 or self.transcript_days > 0 or self.node is not None:
            self._task = asyncio.create_task(every(self.interval, self._pass, "retention pass"), name="retention")

    async def _pass(self) -> None:
        await run_once(self.db, self.data_dir, self.recording_days, self.transcript_days, self.node)
        if self.node is not None:  # nodes sharing a store: files another node's erasure could not reach
            await sweep_orphans(self.db, self.data_dir)

    async def aclose(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
