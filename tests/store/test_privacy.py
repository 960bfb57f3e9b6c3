"""Retention and erasure on a real database: what goes, and everything else stays."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store_backends import open_test_database
from tests.telephony.harness import add_assistant, call, usage_rows, webhook_events
from voicedock.assistant import CallAssistant
from voicedock.retention import recording_path, run_once, sweep_orphans
from voicedock.store import Database, call_state
from voicedock.store.errors import Conflict
from voicedock.store.privacy import REDACTED_PAYLOAD, erase_customer

OLD = "2020-01-01T00:00:00.000Z"


@pytest.fixture
def db(tmp_path: Path, both_backends: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = open_test_database(both_backends, tmp_path / "data" / "voicedock.db", request)
    add_assistant(database)
    yield database
    database.close()


def ended_call(db: Database, call_id: str, caller: str, *, old: bool, recorded: bool = True,
               node: str | None = None) -> None:
    """A finished call with a transcript, webhook rows, usage and (optionally) a recording file."""
    record = call_state.CallRecord(call_id=call_id, direction="inbound", assistant=CallAssistant.parse({
        "system_prompt": "x", "webhook_url": "http://127.0.0.1:9/h",
        "webhook_events": ["status-update", "end-of-call-report", "transcript"]}),
        assistant_id="asst_test", agent_phone="+15550100", caller_phone=caller, status="ringing", node=node)
    db.write_sync(lambda d: call_state.create(d, record))
    db.write_sync(lambda d: call_state.set_in_progress(d, record))
    db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": f"I am {caller}"}))
    db.write_sync(lambda d: call_state.finish(d, record, "ended", "customer-ended-call", 1.0))
    db.write_sync(lambda d: d.execute("UPDATE webhook_events SET status = 'delivered' WHERE call_id = ?", [call_id]))
    if recorded:
        path = recording_path(db.path.parent, call_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF....WAVE")
        db.write_sync(lambda d: call_state.set_recording(d, record, f"/api/v1/calls/{call_id}/recording"))
    if old:
        db.write_sync(lambda d: d.execute("UPDATE calls SET ended_at = ? WHERE id = ?", [OLD, call_id]))


def payloads(db: Database, call_id: str) -> list[str]:
    return db.read_sync(lambda d: [r[0] for r in d.execute(
        "SELECT payload FROM webhook_events WHERE call_id = ?", [call_id]).fetchall()])


async def test_retention_deletes_old_recordings_and_transcripts_only(db: Database) -> None:
    data_dir = db.path.parent
    ended_call(db, "call_old", "+15551111", old=True)
    ended_call(db, "call_new", "+15552222", old=False)
    gone = await run_once(db, data_dir, recording_days=30, transcript_days=30)
    assert (len(gone.recordings), gone.transcripts) == (1, 1)

    old, new = call(db, "call_old"), call(db, "call_new")
    assert not recording_path(data_dir, "call_old").exists() and old["recording_url"] is None
    assert old["messages"] == [] and old["status"] == "ended" and old["cost"] is not None
    assert all(p == REDACTED_PAYLOAD for p in payloads(db, "call_old"))
    assert not any("+15551111" in p or "I am" in p for p in payloads(db, "call_old"))
    assert len(usage_rows(db, "call_old")) == 1  # billing stays

    assert recording_path(data_dir, "call_new").exists() and new["recording_url"]
    assert new["messages"][0]["content"] == "I am +15552222"
    assert any("I am +15552222" in p for p in payloads(db, "call_new"))
    again = await run_once(db, data_dir, recording_days=30, transcript_days=30)
    assert (again.recordings, again.transcripts) == ([], 0)


async def test_retention_settings_are_independent_and_zero_keeps_everything(db: Database) -> None:
    data_dir = db.path.parent
    ended_call(db, "call_old", "+15551111", old=True)
    assert (await run_once(db, data_dir, recording_days=0, transcript_days=0)).to_dict()["recordings"] == 0
    await run_once(db, data_dir, recording_days=30, transcript_days=0)
    row = call(db, "call_old")
    assert row["recording_url"] is None and row["messages"], "transcript kept when only recordings expire"
    await run_once(db, data_dir, recording_days=0, transcript_days=30)
    assert call(db, "call_old")["messages"] == []


async def test_with_nodes_sharing_the_store_each_expires_the_recordings_on_its_own_disk(db: Database) -> None:
    data_dir = db.path.parent
    ended_call(db, "call_a", "+15551111", old=True, node="node-a")
    ended_call(db, "call_b", "+15552222", old=True, node="node-b")
    gone = await run_once(db, data_dir, recording_days=30, transcript_days=30, node="node-a")
    assert gone.recordings == ["call_a"] and gone.transcripts == 2  # transcripts live in the store alone
    assert call(db, "call_b")["recording_url"] and recording_path(data_dir, "call_b").exists()


def test_erasing_a_caller_removes_calls_usage_and_webhook_log_of_that_number_only(db: Database) -> None:
    ended_call(db, "call_a", "+15551111", old=False)
    ended_call(db, "call_b", "+15551111", old=True, recorded=False)
    ended_call(db, "call_c", "+15552222", old=False)
    events_a = db.read_sync(lambda d: [r[0] for r in d.execute(
        "SELECT id FROM webhook_events WHERE call_id = 'call_a'").fetchall()])
    db.write_sync(lambda d: d.execute(
        "INSERT INTO webhook_attempts (id, event_id, attempted_at, url, status_code) VALUES ('att1', ?, ?, 'u', 200)",
        [events_a[0], OLD]))
    gone = db.write_sync(lambda d: erase_customer(d, "+15551111"))
    assert gone.to_dict() == {"calls": 2, "transcripts": 2, "webhook_events": len(events_a) * 2, "usage": 2,
                              "recordings": 1}
    assert gone.recordings == ["call_a"]
    left = db.read_sync(lambda d: [r[0] for r in d.execute("SELECT id FROM calls").fetchall()])
    assert left == ["call_c"]
    assert webhook_events(db, "call_a") == [] and usage_rows(db, "call_b") == []
    assert db.read_sync(lambda d: d.execute("SELECT count(*) FROM webhook_attempts").fetchone()[0]) == 0
    everything = db.read_sync(lambda d: json.dumps([list(r) for t in ("calls", "webhook_events", "usage")
                                                    for r in d.execute(f"SELECT * FROM {t}").fetchall()]))
    assert "+15551111" not in everything
    assert webhook_events(db, "call_c") and usage_rows(db, "call_c")


async def test_a_node_deletes_its_recordings_that_the_store_no_longer_lists(db: Database) -> None:
    """A caller erased through another node's API: the store forgets the calls, but their recordings
    are on this node's disk. This node's pass deletes them, and nothing the store still lists, nor a
    live call's, nor a file too fresh to be listed yet."""
    data_dir = db.path.parent
    ended_call(db, "call_erased", "+15551111", old=False)
    ended_call(db, "call_kept", "+15552222", old=False)
    live = call_state.CallRecord(call_id="call_live", direction="inbound", caller_phone="+15553333", status="ringing")
    db.write_sync(lambda d: call_state.create(d, live))
    db.write_sync(lambda d: erase_customer(d, "+15551111"))  # another node: this disk is out of its reach
    for call_id in ("call_live", "call_fresh"):
        recording_path(data_dir, call_id).write_bytes(b"RIFF....WAVE")
    an_hour_ago = time.time() - 3600
    for call_id in ("call_erased", "call_kept", "call_live"):
        os.utime(recording_path(data_dir, call_id), (an_hour_ago, an_hour_ago))
    assert await sweep_orphans(db, data_dir) == 1
    assert not recording_path(data_dir, "call_erased").exists()
    assert all(recording_path(data_dir, c).exists() for c in ("call_kept", "call_live", "call_fresh"))
    assert await sweep_orphans(db, data_dir) == 0


def test_erasing_a_caller_on_a_live_call_is_refused(db: Database) -> None:
    record = call_state.CallRecord(call_id="call_live", direction="inbound", caller_phone="+15553333", status="ringing")
    db.write_sync(lambda d: call_state.create(d, record))
    with pytest.raises(Conflict):
        db.write_sync(lambda d: erase_customer(d, "+15553333"))
    assert call(db, "call_live")["status"] == "ringing"


async def test_the_server_runs_retention_in_the_background(tmp_path: Path) -> None:
    from tests.server import running_server

    data_dir = tmp_path / "served"
    database = Database(data_dir / "voicedock.db")
    database.migrate_sync()
    add_assistant(database)
    ended_call(database, "call_old", "+15551111", old=True)
    ended_call(database, "call_new", "+15552222", old=False)
    database.close()
    env = {"VOICEDOCK_RECORDING_RETENTION_DAYS": "7", "VOICEDOCK_TRANSCRIPT_RETENTION_DAYS": "7"}
    with running_server(data_dir, env=env):
        for _ in range(100):
            if not recording_path(data_dir, "call_old").exists():
                break
            await asyncio.sleep(0.1)
    assert not recording_path(data_dir, "call_old").exists()
    assert recording_path(data_dir, "call_new").exists()
    database = Database(data_dir / "voicedock.db")
    try:
        assert call(database, "call_old")["messages"] == [] and call(database, "call_new")["messages"]
    finally:
        database.close()
