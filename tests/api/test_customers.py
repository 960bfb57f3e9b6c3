"""DELETE /customers/{number}: a caller's calls, transcripts, recordings, usage and webhook log are gone."""

from __future__ import annotations

import pytest

from tests.store.test_privacy import ended_call
from tests.telephony.harness import usage_rows
from voicedock.retention import recording_path
from voicedock.store import Database, call_state

from .conftest import Api, assert_error


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends


async def test_erasure_removes_everything_about_the_number(api: Api, db: Database) -> None:
    ended_call(db, "call_a", "+15551111", old=False)
    ended_call(db, "call_keep", "+15552222", old=False)
    status, before, _ = await api.call("GET", "/webhook-deliveries?call_id=call_a")
    assert status == 200 and before["deliveries"]

    status, body, _ = await api.call("DELETE", "/customers/%2B15551111")
    assert status == 200, body
    assert body["number"] == "+15551111"
    assert body["deleted"]["calls"] == 1 and body["deleted"]["recordings"] == 1 and body["deleted"]["usage"] == 1
    assert body["deleted"]["webhook_events"] >= 2

    assert (await api.call("GET", "/calls/call_a"))[0] == 404
    status, calls, _ = await api.call("GET", "/calls")
    assert [c["id"] for c in calls["calls"]] == ["call_keep"]
    status, deliveries, _ = await api.call("GET", "/webhook-deliveries?call_id=call_a")
    assert status == 200 and deliveries["deliveries"] == []
    status, usage, _ = await api.call("GET", "/usage")
    assert [u["call_id"] for u in usage["usage"]] == ["call_keep"]
    assert not recording_path(db.path.parent, "call_a").exists()
    assert recording_path(db.path.parent, "call_keep").exists() and usage_rows(db, "call_keep")

    status, body, _ = await api.call("DELETE", "/customers/+15551111")
    assert status == 200 and body["deleted"]["calls"] == 0  # nothing left: erasure is idempotent


async def test_erasure_during_a_live_call_is_refused(api: Api, db: Database) -> None:
    record = call_state.CallRecord(call_id="call_live", direction="inbound", caller_phone="+15553333", status="ringing")
    db.write_sync(lambda d: call_state.create(d, record))
    status, body, _ = await api.call("DELETE", "/customers/+15553333")
    assert_error(status, body, 409)
    assert (await api.call("GET", "/calls/call_live"))[0] == 200


async def test_erasure_refuses_an_overlong_number(api: Api) -> None:
    status, body, _ = await api.call("DELETE", f"/customers/{'1' * 65}")
    assert_error(status, body, 400, "invalid_number", "number")


async def test_erasure_needs_a_key(api: Api) -> None:
    status, body, _ = await api.call("DELETE", "/customers/+15551111", key="vd_live_nope")
    assert status == 401
