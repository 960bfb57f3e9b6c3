"""Calls a previous process left live: close them, or tell a caller still on the line, then close.

After a crash the store still shows the dead process's calls as live, while Asterisk keeps a
connected caller's channel in the Stasis app, in silence. `decide` is the pure choice from what
Asterisk still has; `close_lost` ends a call whose caller is gone exactly as a normal ending
would (recording moved out of Asterisk's spool, usage row, webhooks through the outbox, so each
event is delivered once). A caller still there is handed to a `LiveCall` by the controller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection
from enum import Enum

from voicedock.store import lost_calls
from voicedock.store.call_state import CallRecord
from voicedock.store.lost_calls import LostCall

from .call_deps import CallDeps
from .recording import RecordingSpool

log = logging.getLogger("voicedock.calls")

APOLOGY = "Sorry, I lost you for a moment. Please call again."


class Recovery(Enum):
    CLOSE = "close"  # the channel is gone: only the record is left to close
    HANG_UP = "hang-up"  # an outbound call not answered yet: nobody to talk to, stop the ringing
    APOLOGISE = "apologise"  # the caller is still in Stasis: say sorry, hang up, close


def decide(record: CallRecord, channel_ids: Collection[str]) -> Recovery:
    if record.channel_id is None or record.channel_id not in channel_ids:
        return Recovery.CLOSE
    if record.direction == "outbound" and record.status != "in-progress":
        return Recovery.HANG_UP
    return Recovery.APOLOGISE


async def close_lost(deps: CallDeps, lost: LostCall, *, hang_up: bool = False) -> None:
    """Close a call no process owns: hang up what is left, move its recording, end the record."""
    record = lost.record
    if hang_up and record.channel_id is not None:
        await _quietly(deps.ari.hangup(record.channel_id))
    url = None
    if record.assistant is not None and record.assistant.records:
        spool = RecordingSpool(deps.asterisk_root, deps.settings.data_dir, record.call_id)
        spool.name = record.call_id  # the recording the lost process started, named after the call
        await _quietly(spool.stop(deps.ari))
        url = await asyncio.to_thread(spool.collect)
    ids = await deps.write(lambda d: lost_calls.close(
        d, lost, deps.settings.price_per_minute, analyse=deps.analyse, recording_url=url))
    log.info("lost call closed", extra={"call_id": record.call_id, "ended_reason": lost_calls.SERVICE_RESTARTED})
    deps.poke(ids)
    if record.report_pending:
        deps.report_pending(record)


async def _quietly(step: Awaitable[object]) -> None:
    """Asterisk may have lost the channel or the recording already; that is the expected case here."""
    try:
        await step
    except asyncio.CancelledError:
        raise
    except Exception as err:
        log.debug("recovery step failed: %r", err)
