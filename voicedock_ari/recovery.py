"""Calls a previous process left live: close them, or tell a caller still on the line, then close.

After a crash the store still shows the dead process's calls as live, while Asterisk keeps a
connected caller's channel in the Stasis app, in silence. `decide` is the pure choice from what
Asterisk still has; `close_lost` ends a call whose caller is gone exactly as a normal ending
would (recording moved out of Asterisk's spool, usage row, webhooks through the outbox, so each
event is delivered once). A caller still there is handed to a `LiveCall` by the controller, with
a `Resumption` when the conversation can go on: the same assistant, greeting with an apology,
told the conversation so far, for the time the call has left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from voicedock.assistant import SPEAKS_FIRST, CallAssistant
from voicedock.store import Database, lost_calls
from voicedock.store import calls as store_calls
from voicedock.store.call_state import CallRecord
from voicedock.store.lost_calls import LostCall
from voicedock.timeutil import parse_iso, utcnow

from .call_deps import CallDeps
from .recording import RecordingSpool

log = logging.getLogger("voicedock.calls")

RESUME_APOLOGY = "Sorry, I lost you for a moment."
APOLOGY = RESUME_APOLOGY + " Please call again."  # when the call cannot go on
MIN_RESUME_SECONDS = 10.0  # less than this left of max_duration_seconds: apologise and end instead
CONTEXT_MESSAGES = 20  # the last messages the resumed session is told; a small model reads few well
CONTEXT_CHARS = 6000


class Recovery(Enum):
    CLOSE = "close"  # the channel is gone: only the record is left to close
    HANG_UP = "hang-up"  # an outbound call not answered yet: nobody to talk to, stop the ringing
    PICK_UP = "pick-up"  # the caller is still in Stasis: bridged again, resumed (or told and hung up)


@dataclass(frozen=True)
class Resumption:
    assistant: CallAssistant  # the call's own, with the apology as the first thing it says
    context: str  # the conversation so far, given to the new session as context
    seconds_left: float  # of the call's max_duration_seconds, counted from when it was answered


def decide(record: CallRecord, channel_ids: Collection[str]) -> Recovery:
    if record.channel_id is None or record.channel_id not in channel_ids:
        return Recovery.CLOSE
    if record.direction == "outbound" and record.status != "in-progress":
        return Recovery.HANG_UP
    return Recovery.PICK_UP


def resumption(record: CallRecord, messages: Sequence[Mapping[str, Any]], now: datetime) -> Resumption | None:
    """How an answered call goes on after a restart; None when it cannot (no assistant, time up)."""
    if record.assistant is None or record.started_at is None:
        return None
    left = record.assistant.max_duration_seconds - (now - parse_iso(record.started_at)).total_seconds()
    if left < MIN_RESUME_SECONDS:
        return None
    assistant = record.assistant.replace(first_message=RESUME_APOLOGY, first_message_mode=SPEAKS_FIRST)
    return Resumption(assistant=assistant, context=conversation_so_far(messages), seconds_left=left)


def conversation_so_far(messages: Sequence[Mapping[str, Any]]) -> str:
    said = [m for m in messages if m.get("role") in ("user", "assistant")][-CONTEXT_MESSAGES:]
    lines = [f"{'Caller' if m['role'] == 'user' else 'You'}: {m.get('content', '')}" for m in said]
    text = ("The call was cut off for a moment by a restart on our side, and the caller is back on the line; "
            "you have just apologised. Go on from where the conversation was, without greeting again.")
    if lines:
        text += " The conversation so far:\n" + "\n".join(lines)[-CONTEXT_CHARS:]
    return text


async def plan_resumption(db: Database, record: CallRecord) -> Resumption | None:
    row = await db.read(lambda d: store_calls.get_call(d, record.call_id))
    return resumption(record, row["messages"], utcnow())


async def close_lost(deps: CallDeps, lost: LostCall, *, hang_up: bool = False) -> None:
    """Close a call no process owns: hang up what is left, move its recording, end the record."""
    record = lost.record
    if hang_up and record.channel_id is not None:
        await _quietly(deps.ari.hangup(record.channel_id))
    url = None
    if record.assistant is not None and record.assistant.records:
        spool = RecordingSpool(deps.asterisk_root, deps.settings.data_dir, record.call_id)
        spool.adopt()  # the parts the lost processes recorded
        await spool.stop_all(deps.ari)
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
