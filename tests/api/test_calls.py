"""Call history, outbound calls, control and recordings."""

from __future__ import annotations

import wave
from typing import Any

import pytest

from voicedock.config import Settings
from voicedock.store import Database
from voicedock.store import calls as store_calls

from .conftest import Api, assert_error
from .fakes import FakeTelephony


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends


def seed_call(db: Database, **fields: Any) -> dict[str, Any]:
    return db.write_sync(lambda d: store_calls.create_call(d, **{"type": "inbound_phone_call", **fields}))


async def test_list_filters_and_pages(api: Api, db: Database) -> None:
    ended = seed_call(db, status="ended", assistant_id="asst_a", ended_reason="customer-ended-call")
    live = seed_call(db, status="in-progress", assistant_id="asst_b")
    status, body, _ = await api.call("GET", "/calls")
    assert status == 200 and [c["id"] for c in body["calls"]] == [live["id"], ended["id"]]
    assert body["pagination"] == {"total": 2, "limit": 50, "offset": 0}
    _, body, _ = await api.call("GET", "/calls?status=ended")
    assert [c["id"] for c in body["calls"]] == [ended["id"]]
    _, body, _ = await api.call("GET", "/calls?assistant_id=asst_b")
    assert [c["id"] for c in body["calls"]] == [live["id"]]
    _, body, _ = await api.call("GET", "/calls?since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z")
    assert body["calls"] == [] and body["pagination"]["total"] == 0
    _, body, _ = await api.call("GET", "/calls?limit=1&offset=1")
    assert [c["id"] for c in body["calls"]] == [ended["id"]] and body["pagination"]["total"] == 2
    status, body, _ = await api.call("GET", "/calls?status=bogus")
    assert_error(status, body, 400, "invalid_request", "status")
    status, body, _ = await api.call("GET", "/calls?since=yesterday")
    assert_error(status, body, 400, "invalid_request", "since")


async def test_get_call_has_every_documented_field(api: Api, db: Database) -> None:
    call = seed_call(db, status="ended", messages=[{"role": "user", "content": "hi", "time": 0.5}],
                     latency=[{"endpointing_ms": 400, "stt_ms": 300, "llm_ttft_ms": 200, "tts_ttfb_ms": 90,
                               "total_ms": 990}])
    status, body, _ = await api.call("GET", f"/calls/{call['id']}")
    assert status == 200
    got = body["call"]
    for field in ("id", "type", "status", "ended_reason", "assistant_id", "phone_number_id", "caller_phone",
                  "agent_phone", "started_at", "ended_at", "duration_seconds", "cost", "messages", "tool_calls",
                  "summary", "analysis", "recording_url", "latency", "metadata"):
        assert field in got, field
    assert got["messages"][0]["content"] == "hi" and got["latency"][0]["total_ms"] == 990


async def test_a_call_names_the_node_that_carried_it(api: Api, db: Database) -> None:
    call = seed_call(db, status="in-progress", node="node-b")
    status, body, _ = await api.call("GET", f"/calls/{call['id']}")
    assert status == 200 and body["call"]["node"] == "node-b"
    status, body, _ = await api.call("GET", "/calls")
    assert [c["node"] for c in body["calls"]] == ["node-b"]


async def test_outbound_call_without_telephony_is_503(api: Api) -> None:
    _, a, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    status, body, _ = await api.call("POST", "/calls", {"assistant_id": a["assistant"]["id"],
                                                        "customer": {"number": "+15550100"}})
    assert_error(status, body, 503, "telephony_unavailable")


async def test_outbound_call_validation(api: Api) -> None:
    status, body, _ = await api.call("POST", "/calls", {"customer": {"number": "+15550100"}})
    assert_error(status, body, 400, "invalid_request")
    status, body, _ = await api.call("POST", "/calls", {"assistant_id": "asst_x", "customer": {"number": "12"}})
    assert_error(status, body, 400, "invalid_request", "customer.number")
    status, body, _ = await api.call("POST", "/calls", {"assistant_id": "asst_x",
                                                        "customer": {"number": "+15550100"}})
    assert_error(status, body, 422, "invalid_reference", "assistant_id")


async def test_outbound_call_with_telephony(make_client: Any, api_key: str, db: Database) -> None:
    telephony = FakeTelephony(db)
    api = Api(await make_client(telephony_service=telephony), api_key)
    _, a, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    status, body, _ = await api.call("POST", "/calls", {"assistant_id": a["assistant"]["id"],
                                                        "customer": {"number": "sip:bob@127.0.0.1"},
                                                        "metadata": {"crm": 7}})
    assert status == 201, body
    assert body["call"]["type"] == "outbound_phone_call" and body["call"]["status"] == "queued"
    assert telephony.outbound[0]["metadata"] == {"crm": 7}


async def test_control_errors(api: Api, db: Database) -> None:
    status, body, _ = await api.call("POST", "/calls/call_nope/control", {"type": "say", "content": "hi"})
    assert_error(status, body, 404, "resource_not_found")
    ended = seed_call(db, status="ended")
    status, body, _ = await api.call("POST", f"/calls/{ended['id']}/control", {"type": "say", "content": "hi"})
    assert_error(status, body, 400, "call_not_active")
    live = seed_call(db, status="in-progress")
    status, body, _ = await api.call("POST", f"/calls/{live['id']}/control", {"type": "dance"})
    assert_error(status, body, 400, "invalid_request", "type")
    status, body, _ = await api.call("POST", f"/calls/{live['id']}/control", {"type": "transfer",
                                                                              "destination": "nowhere"})
    assert_error(status, body, 400, "invalid_request", "destination")
    status, body, _ = await api.call("POST", f"/calls/{live['id']}/control", {"type": "say", "content": "hi"})
    assert_error(status, body, 503, "telephony_unavailable")


async def test_control_commands_reach_the_call(make_client: Any, api_key: str, db: Database) -> None:
    telephony = FakeTelephony(db)
    api = Api(await make_client(telephony_service=telephony), api_key)
    live = seed_call(db, status="in-progress")
    commands = [{"type": "inject-context", "content": "VIP caller", "trigger_response": True},
                {"type": "say", "content": "One moment.", "end_after": False},
                {"type": "transfer", "destination": "+31201234567", "message": "Transferring you."},
                {"type": "end-call", "message": "Goodbye."}]
    for command in commands:
        status, body, _ = await api.call("POST", f"/calls/{live['id']}/control", command)
        assert status == 200 and body["success"] is True and body["message"]
    assert [c for _, c in telephony.commands] == commands


async def test_recording_is_served_as_wav(api: Api, db: Database, settings: Settings) -> None:
    call = seed_call(db, status="ended")
    status, body, _ = await api.call("GET", f"/calls/{call['id']}/recording")
    assert_error(status, body, 404, "recording_not_found")
    path = settings.data_dir / "recordings" / f"{call['id']}.wav"
    path.parent.mkdir(parents=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\x01\x00" * 800)
    resp = await api.client.get(f"/api/v1/calls/{call['id']}/recording", headers=api.headers())
    data = await resp.read()
    assert resp.status == 200 and resp.headers["Content-Type"] == "audio/wav"
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
