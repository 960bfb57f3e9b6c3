"""A call's state changes, each a function run inside one `db.write` transaction.

The call side (whatever carries the phone line) and the tests change call rows only through these.

A status change and the webhook events it causes commit together (transactional outbox), so a
receiver never hears of a state the database does not hold, and a crash never loses an event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from ..assistant import CallAssistant
from ..timeutil import now_iso, parse_iso
from ..webhooks.outbox import enqueue, enqueue_mail
from ..webhooks.payloads import (
    END_OF_CALL_REPORT,
    STATUS_UPDATE,
    TRANSCRIPT,
    EndOfCallReport,
    MessageContext,
    call_context,
    end_of_call_report,
    status_update,
    transcript,
)
from . import calls as store_calls

FINAL_STATUSES = ("ended", "failed", "rejected")
TRANSCRIBED_ROLES = ("user", "assistant")


@dataclass
class CallRecord:
    """What the controller knows about one call, enough to build every webhook without a read."""

    call_id: str
    direction: str  # inbound or outbound
    assistant: CallAssistant | None = None  # None until routing found one (and for rejected calls)
    assistant_id: str | None = None
    phone_number_id: str | None = None
    agent_phone: str | None = None
    caller_phone: str | None = None
    status: str = "queued"
    started_at: str | None = None
    report_pending: bool = False
    channel_id: str | None = None  # the caller's channel in Asterisk, for recovery after a restart
    node: str | None = None  # the node carrying the call (`VOICEDOCK_NODE_ID`), stored on its row

    @property
    def call_type(self) -> str:
        return "inbound_phone_call" if self.direction == "inbound" else "outbound_phone_call"

    def context(self, status: str | None = None) -> MessageContext:
        return call_context(call_id=self.call_id, direction=self.direction, status=status or self.status,
                            assistant=self.assistant.document if self.assistant else {},
                            agent_phone=self.agent_phone, customer_phone=self.caller_phone)

    def to_json(self) -> str:
        """The record as kept for a pending report, so the report survives a restart."""
        data = asdict(self)
        data["assistant"] = self.assistant.document if self.assistant else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> CallRecord:
        data = json.loads(text)
        assistant = data.pop("assistant", None)
        return cls(**data, assistant=CallAssistant.parse(assistant) if assistant else None)

    def _enqueue(self, d: sqlite_utils.Database, event_type: str, payload: Mapping[str, Any]) -> list[str]:
        if self.assistant is None:
            return []
        return enqueue(
            d,
            event_type=event_type,
            assistant_config=self.assistant.document,
            assistant_id=self.assistant_id,
            call_id=self.call_id,
            payload=payload,
        )


def create(d: sqlite_utils.Database, record: CallRecord, metadata: Mapping[str, Any] | None = None) -> None:
    """Insert the call row under the id the record already carries."""
    store_calls.create_call(
        d, id=record.call_id, type=record.call_type, status=record.status, assistant_id=record.assistant_id,
        phone_number_id=record.phone_number_id, caller_phone=record.caller_phone, agent_phone=record.agent_phone,
        node=record.node, metadata=dict(metadata or {}),
    )
    keep_live(d, record)


def keep_live(d: sqlite_utils.Database, record: CallRecord) -> None:
    """Store the record of a call not yet ended, so a new process can close it after a crash."""
    d.conn.execute("UPDATE calls SET live_record = ? WHERE id = ?", [record.to_json(), record.call_id])


def set_ringing(d: sqlite_utils.Database, record: CallRecord) -> None:
    record.status = "ringing"
    store_calls.update_call(d, record.call_id, status="ringing")
    keep_live(d, record)


def set_assistant(d: sqlite_utils.Database, record: CallRecord) -> None:
    """After assistant-request changed the assistant: keep the row in step."""
    store_calls.update_call(d, record.call_id, assistant_id=record.assistant_id)
    keep_live(d, record)


def set_in_progress(d: sqlite_utils.Database, record: CallRecord) -> list[str]:
    record.status = "in-progress"
    record.started_at = now_iso()
    store_calls.update_call(d, record.call_id, status="in-progress", started_at=record.started_at)
    keep_live(d, record)
    return record._enqueue(d, STATUS_UPDATE, status_update(record.context(), "in-progress"))


def set_recording(d: sqlite_utils.Database, record: CallRecord, url: str) -> None:
    store_calls.update_call(d, record.call_id, recording_url=url)


def finish(
    d: sqlite_utils.Database, record: CallRecord, status: str, reason: str, price_per_minute: float,
    *, analyse: bool = False, ended_at: str | None = None,
) -> list[str]:
    """End the call once: status, times, cost, usage row, status-update and end-of-call-report.

    `ended_at` defaults to now; a call closed after a crash ends at its last stored activity.
    With `analyse`, an ended call with a conversation keeps its report pending (`pending_report`)
    until `complete_report` adds the analysis; the pending row survives a restart.
    """
    row = store_calls.get_call(d, record.call_id)
    if row["status"] in FINAL_STATUSES:
        return []
    ended_at = ended_at or now_iso()
    duration = 0.0
    if record.started_at:
        duration = max(0.0, (parse_iso(ended_at) - parse_iso(record.started_at)).total_seconds())
    duration = round(duration, 3)
    cost = round(duration / 60.0 * price_per_minute, 6)
    record.status = status
    row = store_calls.update_call(
        d, record.call_id, status=status, ended_reason=reason, ended_at=ended_at,
        duration_seconds=duration, cost=cost,
    )
    store_calls.record_usage(d, record.call_id, record.phone_number_id, duration, cost)
    d.conn.execute("UPDATE calls SET live_record = NULL WHERE id = ?", [record.call_id])
    if status == "rejected" and not record.started_at:
        return []
    webhook_status = "ended" if status == "ended" else "ended-with-error"
    ids = record._enqueue(d, STATUS_UPDATE, status_update(record.context(status), webhook_status, ended_reason=reason))
    if analyse and status == "ended" and row.get("messages"):
        record.report_pending = True
        d.conn.execute("UPDATE calls SET pending_report = ? WHERE id = ?", [record.to_json(), record.call_id])
        return ids
    return ids + _report(d, record, row)


def _report(d: sqlite_utils.Database, record: CallRecord, row: Mapping[str, Any]) -> list[str]:
    report = EndOfCallReport(
        ended_reason=row["ended_reason"], duration_seconds=row["duration_seconds"], summary=row.get("summary"),
        analysis=row.get("analysis"), messages=row.get("messages") or [], recording_url=row.get("recording_url"),
        cost=row["cost"],
    )
    payload = end_of_call_report(record.context(row["status"]), report)
    ids = record._enqueue(d, END_OF_CALL_REPORT, payload)
    email = record.assistant.notification_email if record.assistant else None
    if email:  # the same report, read by a person: sent whether or not a webhook subscribes
        ids.append(enqueue_mail(d, to=email, assistant_id=record.assistant_id, call_id=record.call_id,
                                payload=payload))
    return ids


def complete_report(d: sqlite_utils.Database, record: CallRecord, analysis: Mapping[str, Any] | None) -> list[str]:
    """Store the analysis (None when it failed) and send the end-of-call-report, in one transaction.

    Taking the pending report is one conditional UPDATE, so of two processes completing the same
    report (nodes sharing a PostgreSQL store, both finishing reports left by a restart) one sends it.
    """
    taken = d.conn.execute("UPDATE calls SET pending_report = NULL WHERE id = ? AND pending_report IS NOT NULL",
                           [record.call_id]).rowcount
    if not taken:
        return []
    if analysis is not None:
        store_calls.update_call(d, record.call_id, summary=analysis.get("summary"), analysis=dict(analysis))
    record.report_pending = False
    return _report(d, record, store_calls.get_call(d, record.call_id))


def pending_reports(d: sqlite_utils.Database) -> list[CallRecord]:
    """Calls that ended before their analysis finished (e.g. the process stopped)."""
    rows = d.conn.execute("SELECT pending_report FROM calls WHERE pending_report IS NOT NULL").fetchall()
    return [CallRecord.from_json(r[0]) for r in rows]


def append(d: sqlite_utils.Database, record: CallRecord, key: str, item: Mapping[str, Any]) -> list[str]:
    """Append to messages / tool_calls / latency; a final user/assistant utterance also becomes a transcript event."""
    row = store_calls.get_call(d, record.call_id)
    items = list(row.get(key) or [])
    items.append(dict(item))
    store_calls.update_call(d, record.call_id, **{key: items})
    if key == "messages" and item.get("role") in TRANSCRIBED_ROLES:
        return record._enqueue(d, TRANSCRIPT, transcript(record.context(), str(item["role"]), str(item["content"])))
    return []
