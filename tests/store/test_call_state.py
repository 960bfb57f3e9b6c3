"""Call state changes as the call side makes them: one transaction each, with its webhook rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store_backends import open_test_database
from tests.telephony.harness import add_assistant, call, usage_rows, webhook_events
from voicedock.assistant import CallAssistant
from voicedock.store import Database, call_state


@pytest.fixture
def db(tmp_path: Path, both_backends: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = open_test_database(both_backends, tmp_path / "t.db", request)
    yield database
    database.close()


def test_finishing_a_call_writes_everything_once(db: Database) -> None:
    add_assistant(db)
    record = call_state.CallRecord(call_id="call_x", direction="inbound", assistant=CallAssistant.parse({"system_prompt": "x",
        "webhook_url": "http://127.0.0.1:9/h", "webhook_events": ["status-update", "end-of-call-report", "transcript"]}),
        assistant_id="asst_test", agent_phone="+15550100", caller_phone="+15551234", status="ringing")
    db.write_sync(lambda d: call_state.create(d, record))
    db.write_sync(lambda d: call_state.set_in_progress(d, record))
    db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": "hi"}))
    db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "dtmf", "content": "5"}))
    first = db.write_sync(lambda d: call_state.finish(d, record, "ended", "customer-ended-call", 1.2))
    again = db.write_sync(lambda d: call_state.finish(d, record, "failed", "error", 1.2))
    assert len(first) == 2 and again == []
    row = call(db, "call_x")
    assert row["status"] == "ended" and row["ended_reason"] == "customer-ended-call"
    assert row["cost"] == pytest.approx(row["duration_seconds"] / 60 * 1.2, abs=1e-6)
    assert len(usage_rows(db, "call_x")) == 1
    assert webhook_events(db, "call_x") == ["status-update", "transcript", "status-update", "end-of-call-report"]


def test_rejected_call_keeps_a_record_without_webhooks(db: Database) -> None:
    record = call_state.CallRecord(call_id="call_r", direction="inbound", status="ringing")
    db.write_sync(lambda d: call_state.create(d, record))
    db.write_sync(lambda d: call_state.finish(d, record, "rejected", "unknown-number", 1.0))
    row = call(db, "call_r")
    assert (row["status"], row["ended_reason"], row["duration_seconds"]) == ("rejected", "unknown-number", 0.0)
    assert webhook_events(db, "call_r") == []


def _ended_with_conversation(db: Database, call_id: str) -> call_state.CallRecord:
    record = call_state.CallRecord(call_id=call_id, direction="inbound", assistant=CallAssistant.parse({"system_prompt": "x",
        "webhook_url": "http://127.0.0.1:9/h", "webhook_events": ["end-of-call-report"]}),
        assistant_id="asst_test", agent_phone="+15550100", status="ringing")
    db.write_sync(lambda d: call_state.create(d, record))
    db.write_sync(lambda d: call_state.set_in_progress(d, record))
    db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": "book me in"}))
    db.write_sync(lambda d: call_state.finish(d, record, "ended", "customer-ended-call", 1.0, analyse=True))
    return record


def report_payloads(db: Database, call_id: str) -> list[dict]:
    rows = db.read_sync(lambda d: list(d.query(
        "SELECT payload FROM webhook_events WHERE call_id = ? AND event_type = 'end-of-call-report'", [call_id])))
    return [json.loads(r["payload"])["message"] for r in rows]


def test_a_report_waiting_for_analysis_is_sent_once_with_it(db: Database) -> None:
    add_assistant(db)
    record = _ended_with_conversation(db, "call_a")
    assert record.report_pending and report_payloads(db, "call_a") == []
    analysis = {"summary": "Booked.", "structured_data": {"booked": True}, "success_evaluation": True}
    assert db.write_sync(lambda d: call_state.complete_report(d, record, analysis))
    assert db.write_sync(lambda d: call_state.complete_report(d, record, analysis)) == []
    [report] = report_payloads(db, "call_a")
    assert report["summary"] == "Booked." and report["analysis"]["structured_data"] == {"booked": True}
    row = call(db, "call_a")
    assert row["summary"] == "Booked." and row["analysis"] == analysis and "pending_report" not in row


def test_a_pending_report_survives_a_restart(db: Database) -> None:
    add_assistant(db)
    record = _ended_with_conversation(db, "call_b")
    [recovered] = db.read_sync(call_state.pending_reports)
    assert recovered == record
    db.write_sync(lambda d: call_state.complete_report(d, recovered, None))
    [report] = report_payloads(db, "call_b")
    assert report["ended_reason"] == "customer-ended-call" and report["analysis"] is None
    assert db.read_sync(call_state.pending_reports) == []
