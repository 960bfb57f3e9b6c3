"""Forgetting callers: retention of recordings and transcripts, and erasure of everything about one number.

Each function is one transaction on the writer thread and returns what it changed; deleting the
recording files is left to the caller, outside the database (never on the event loop). The
webhook log holds copies of what was said (transcript and end-of-call-report payloads), so it is
scrubbed with the calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ..timeutil import now_iso
from .calls import ACTIVE_STATUSES
from .errors import Conflict

REDACTED_PAYLOAD = json.dumps({"redacted": True})
BATCH = 500  # calls per retention transaction: the writer thread is shared with live calls


@dataclass
class Forgotten:
    """What one retention pass or one erasure removed."""

    calls: int = 0
    transcripts: int = 0
    webhook_events: int = 0
    usage: int = 0
    recordings: list[str] = field(default_factory=list)  # call ids whose recording file is to be deleted

    def to_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "transcripts": self.transcripts, "webhook_events": self.webhook_events,
                "usage": self.usage, "recordings": len(self.recordings)}


# The JSON inside `calls.data`, read and changed in each dialect's own functions.
_JSON: dict[str, dict[str, str]] = {
    "sqlite": {
        "has_recording": "json_extract(data, '$.recording_url') IS NOT NULL",
        "drop_recording": "json_set(data, '$.recording_url', NULL)",
        "has_transcript": "(json_array_length(data, '$.messages') > 0 OR json_array_length(data, '$.tool_calls') > 0)",
        "drop_transcript": "json_set(data, '$.messages', json('[]'), '$.tool_calls', json('[]'))",
    },
    "postgresql": {
        "has_recording": "(data::jsonb ->> 'recording_url') IS NOT NULL",
        "drop_recording": "jsonb_set(data::jsonb, '{recording_url}', 'null')::text",
        "has_transcript": "(CASE WHEN jsonb_typeof(data::jsonb -> 'messages') = 'array' "
                          "THEN jsonb_array_length(data::jsonb -> 'messages') ELSE 0 END "
                          "+ CASE WHEN jsonb_typeof(data::jsonb -> 'tool_calls') = 'array' "
                          "THEN jsonb_array_length(data::jsonb -> 'tool_calls') ELSE 0 END) > 0",
        "drop_transcript": "(data::jsonb || '{\"messages\": [], \"tool_calls\": []}'::jsonb)::text",
    },
}


def _json(d: sqlite_utils.Database, name: str) -> str:
    return _JSON[getattr(d, "dialect", "sqlite")][name]


def _ids(d: sqlite_utils.Database, sql: str, params: list[Any]) -> list[str]:
    return [str(row[0]) for row in d.execute(sql, params).fetchall()]


def _in(ids: list[str]) -> str:
    return ",".join("?" * len(ids))


def kept_recordings(d: sqlite_utils.Database, call_ids: list[str]) -> set[str]:
    """Of these calls, those whose recording the store still lists, or that may still get one (live)."""
    if not call_ids:
        return set()
    live = list(ACTIVE_STATUSES)
    return set(_ids(d, f"SELECT id FROM calls WHERE id IN ({_in(call_ids)}) "
                       f"AND (status IN ({_in(live)}) OR {_json(d, 'has_recording')})", [*call_ids, *live]))


def expire(d: sqlite_utils.Database, recordings_before: str | None, transcripts_before: str | None,
           node: str | None = None) -> Forgotten:
    """Drop recordings (their URL; the caller deletes the files) and transcripts of calls ended before the cutoffs.

    A transcript is the call's messages and tool calls, and the delivered webhook payloads that
    carry them; the record itself (status, times, cost, summary, analysis) stays. With `node`, only
    the recordings of that node's calls: each node keeps the recordings of the calls it carried.
    """
    out = Forgotten()
    if recordings_before is not None:
        mine, params = ("", []) if node is None else (" AND (node = ? OR node IS NULL)", [node])
        out.recordings = _ids(d, f"SELECT id FROM calls WHERE ended_at < ? AND {_json(d, 'has_recording')}{mine} "
                                 "LIMIT ?", [recordings_before, *params, BATCH])
        if out.recordings:
            d.execute(f"UPDATE calls SET data = {_json(d, 'drop_recording')}, updated_at = ? "
                      f"WHERE id IN ({_in(out.recordings)})", [now_iso(), *out.recordings])
    if transcripts_before is not None:
        ids = _ids(d, f"SELECT id FROM calls WHERE ended_at < ? AND {_json(d, 'has_transcript')} LIMIT ?",
                   [transcripts_before, BATCH])
        if ids:
            d.execute(f"UPDATE calls SET data = {_json(d, 'drop_transcript')}, "
                      f"updated_at = ? WHERE id IN ({_in(ids)})", [now_iso(), *ids])
            out.webhook_events = d.execute(
                f"UPDATE webhook_events SET payload = ?, updated_at = ? WHERE status != 'pending' "
                f"AND call_id IN ({_in(ids)})", [REDACTED_PAYLOAD, now_iso(), *ids]).rowcount
        out.transcripts = len(ids)
    return out


def erase_customer(d: sqlite_utils.Database, number: str) -> Forgotten:
    """Delete every call with this caller number, its usage rows and its webhook log.

    Refused (409) while one of those calls is live: deleting its record would orphan the call.
    """
    live = d.execute(f"SELECT id FROM calls WHERE caller_phone = ? AND status IN ({_in(list(ACTIVE_STATUSES))})",
                     [number, *ACTIVE_STATUSES]).fetchone()
    if live is not None:
        raise Conflict(f"A call with {number} is live ({live[0]}); erase it once the call has ended", "number")
    ids = _ids(d, "SELECT id FROM calls WHERE caller_phone = ?", [number])
    out = Forgotten(calls=len(ids))
    if not ids:
        return out
    out.recordings = _ids(d, f"SELECT id FROM calls WHERE id IN ({_in(ids)}) AND {_json(d, 'has_recording')}", ids)
    events = _ids(d, f"SELECT id FROM webhook_events WHERE call_id IN ({_in(ids)})", ids)
    if events:
        d.execute(f"DELETE FROM webhook_attempts WHERE event_id IN ({_in(events)})", events)
        d.execute(f"DELETE FROM webhook_events WHERE id IN ({_in(events)})", events)
    out.webhook_events = len(events)
    out.usage = d.execute(f"DELETE FROM usage WHERE call_id IN ({_in(ids)})", ids).rowcount
    out.transcripts = len(ids)
    d.execute(f"DELETE FROM calls WHERE id IN ({_in(ids)})", ids)
    return out
