"""Nodes sharing one store: heartbeats, and the calls of a node that stopped beating closed by another."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.store_backends import open_test_database
from tests.telephony.harness import add_assistant, call, usage_rows, webhook_events
from voicedock.assistant import CallAssistant
from voicedock.heartbeat import NodeHeartbeat
from voicedock.store import Database, call_state, lost_calls, nodes
from voicedock.timeutil import iso, utcnow

START = datetime(2026, 1, 5, 12, 0, 0).astimezone()


@pytest.fixture
def db(tmp_path: Path, both_backends: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = open_test_database(both_backends, tmp_path / "t.db", request)
    add_assistant(database)
    yield database
    database.close()


def live_call(db: Database, call_id: str, node: str) -> call_state.CallRecord:
    record = call_state.CallRecord(call_id=call_id, direction="inbound", assistant=CallAssistant.parse({
        "system_prompt": "x", "webhook_url": "http://127.0.0.1:9/h",
        "webhook_events": ["status-update", "end-of-call-report"]}),
        assistant_id="asst_test", agent_phone="+15550100", caller_phone="+15551234", status="ringing", node=node)
    db.write_sync(lambda d: call_state.create(d, record))
    db.write_sync(lambda d: call_state.set_in_progress(d, record))
    db.write_sync(lambda d: call_state.append(d, record, "messages", {"role": "user", "content": "hello"}))
    return record


def heartbeat(db: Database, node: str, at: datetime, pokes: list[int] | None = None) -> NodeHeartbeat:
    return NodeHeartbeat(db, node, capacity=2, price_per_minute=1.0, timeout=15.0,
                         poke=lambda: (pokes if pokes is not None else []).append(1), clock=lambda: at)


def test_a_call_record_names_the_node_that_carries_it(db: Database) -> None:
    live_call(db, "call_a", "node-a")
    assert call(db, "call_a")["node"] == "node-a"
    assert [c.record.call_id for c in db.read_sync(lambda d: lost_calls.live_calls(d, node="node-a"))] == ["call_a"]
    assert db.read_sync(lambda d: lost_calls.live_calls(d, node="node-b")) == []


async def test_each_node_beats_with_the_calls_it_carries(db: Database) -> None:
    live_call(db, "call_a", "node-a")
    await heartbeat(db, "node-a", START).run_once()
    await heartbeat(db, "node-b", START).run_once()
    listed = [n.to_dict() for n in await db.read(nodes.list_nodes)]
    assert listed == [{"id": "node-a", "status": "up", "active_calls": 1, "capacity": 2},
                      {"id": "node-b", "status": "up", "active_calls": 0, "capacity": 2}]


async def test_a_silent_node_s_calls_are_closed_by_another_with_their_webhooks(db: Database) -> None:
    live_call(db, "call_a", "node-a")
    live_call(db, "call_b", "node-b")
    await heartbeat(db, "node-a", START).run_once()
    survivor_pokes: list[int] = []
    survivor = heartbeat(db, "node-b", START + timedelta(seconds=10), survivor_pokes)
    assert await survivor.run_once() == []  # 10 s of silence is within the timeout
    assert call(db, "call_a")["status"] == "in-progress"

    later = heartbeat(db, "node-b", START + timedelta(seconds=20), survivor_pokes)
    closed = await later.run_once()
    row = call(db, "call_a")
    assert (row["status"], row["ended_reason"]) == ("ended", "node-failure")
    assert len(closed) == 2 and survivor_pokes == [1]
    assert webhook_events(db, "call_a") == ["status-update", "status-update", "end-of-call-report"]
    report = db.read_sync(lambda d: next(d.query(
        "SELECT payload FROM webhook_events WHERE call_id = ? AND event_type = 'end-of-call-report'", ["call_a"])))
    assert json.loads(report["payload"])["message"]["ended_reason"] == "node-failure"
    assert len(usage_rows(db, "call_a")) == 1
    assert call(db, "call_b")["status"] == "in-progress"  # the survivor's own call goes on
    statuses = {n.id: n.status for n in await db.read(nodes.list_nodes)}
    assert statuses == {"node-a": "failed", "node-b": "up"}
    assert await heartbeat(db, "node-b", START + timedelta(seconds=30)).run_once() == []  # closed once only


async def test_a_failed_node_that_comes_back_is_up_again(db: Database) -> None:
    await heartbeat(db, "node-a", START).run_once()
    await heartbeat(db, "node-b", START + timedelta(seconds=20)).run_once()
    await heartbeat(db, "node-a", START + timedelta(seconds=25)).run_once()
    assert {n.id: n.status for n in await db.read(nodes.list_nodes)} == {"node-a": "up", "node-b": "up"}


async def test_a_node_that_stops_cleanly_is_not_taken_for_a_failed_one(db: Database) -> None:
    live_call(db, "call_a", "node-a")
    stopping = heartbeat(db, "node-a", START)
    await stopping.run_once()
    await stopping.aclose()
    assert await heartbeat(db, "node-b", START + timedelta(minutes=5)).run_once() == []
    assert {n.id: n.status for n in await db.read(nodes.list_nodes)}["node-a"] == "stopped"


async def test_the_heartbeat_runs_in_the_background_until_closed(db: Database) -> None:
    job = NodeHeartbeat(db, "node-a", capacity=1, price_per_minute=0.0, timeout=15.0, poke=lambda: None,
                        interval=0.01)
    job.start()
    try:
        for _ in range(200):
            if await db.read(nodes.list_nodes):
                break
            await asyncio.sleep(0.01)
    finally:
        await job.aclose()
    [node] = await db.read(nodes.list_nodes)
    assert node.id == "node-a" and node.status == "stopped" and node.heartbeat_at <= iso(utcnow())


def test_a_short_timeout_makes_the_heartbeat_beat_more_often(db: Database) -> None:
    """A live node rewrites its row well within the timeout the others judge it by."""
    def every(timeout: float) -> float:
        return NodeHeartbeat(db, "node-a", capacity=1, price_per_minute=0.0, timeout=timeout,
                             poke=lambda: None).interval
    assert every(15.0) == 5.0 and every(3.0) == 1.0 and every(2.0) < 1.0


async def test_a_report_a_failed_node_was_still_analysing_is_sent_without_the_analysis(db: Database) -> None:
    record = live_call(db, "call_a", "node-a")
    db.write_sync(lambda d: call_state.finish(d, record, "ended", "customer-ended-call", 1.0, analyse=True))
    assert record.report_pending and "end-of-call-report" not in webhook_events(db, "call_a")
    await heartbeat(db, "node-a", START).run_once()
    assert len(await heartbeat(db, "node-b", START + timedelta(seconds=20)).run_once()) == 1
    assert webhook_events(db, "call_a")[-1] == "end-of-call-report"
    row = call(db, "call_a")
    assert (row["status"], row["ended_reason"], row["analysis"]) == ("ended", "customer-ended-call", None)
