"""Calls the store shows as live that no running process owns: what a new process finds after a crash.

A process that dies (kill -9, power loss, an Asterisk restart it never saw end) leaves its calls
`queued`, `ringing` or `in-progress`. The next process reads them here, asks Asterisk which of
their channels still exist, and closes the rest with `close`: a normal ending, at the time of the
call's last stored activity, with its webhooks and usage row.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from .call_state import CallRecord, finish, set_recording
from .calls import ACTIVE_STATUSES

SERVICE_RESTARTED = "service-restarted"  # the ended reason of a call its process lost
NODE_FAILURE = "node-failure"  # the ended reason of a call whose node stopped beating (see `nodes.py`)


@dataclass(frozen=True)
class LostCall:
    record: CallRecord
    last_activity: str  # when the row last changed: the best end time a crashed process leaves


def live_calls(d: sqlite_utils.Database, node: str | None = None) -> list[LostCall]:
    """Every call not ended, with its stored record (or one rebuilt from the row for older rows).

    With `node`, only that node's calls (and those stored before calls named their node): in a store
    shared by several nodes, a node restarting recovers its own calls, never another's live ones.
    """
    marks = ",".join("?" * len(ACTIVE_STATUSES))
    where, params = f"status IN ({marks})", list(ACTIVE_STATUSES)
    if node is not None:
        where, params = where + " AND (node = ? OR node IS NULL)", [*params, node]
    rows = d.query(f"SELECT * FROM calls WHERE {where} ORDER BY created_at", params)
    return [lost_call(row) for row in rows]


def lost_call(row: dict[str, object]) -> LostCall:
    """A live call's row as what closing it needs."""
    return LostCall(record=_record(row), last_activity=str(row["updated_at"]))


def _record(row: dict[str, object]) -> CallRecord:
    text = row.get("live_record")
    if isinstance(text, str) and text:
        record = CallRecord.from_json(text)
        record.status = str(row["status"])
        return record
    return CallRecord(  # written before live records existed: enough to close it, not to send webhooks
        call_id=str(row["id"]), status=str(row["status"]),
        direction="outbound" if row["type"] == "outbound_phone_call" else "inbound",
        assistant_id=_text(row["assistant_id"]), phone_number_id=_text(row["phone_number_id"]),
        agent_phone=_text(row["agent_phone"]), caller_phone=_text(row["caller_phone"]),
        started_at=_text(row["started_at"]), node=_text(row.get("node")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def close(
    d: sqlite_utils.Database, lost: LostCall, price_per_minute: float, *, analyse: bool = False,
    recording_url: str | None = None, reason: str = SERVICE_RESTARTED,
) -> list[str]:
    """End a lost call `ended` (`service-restarted` unless another `reason`) at its last activity; the
    webhook ids to deliver."""
    if recording_url:
        set_recording(d, lost.record, recording_url)
    ended_at = max(lost.last_activity, lost.record.started_at or "")
    return finish(d, lost.record, "ended", reason, price_per_minute, analyse=analyse, ended_at=ended_at)
