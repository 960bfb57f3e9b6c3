"""`/health` answers 503 while the node cannot take calls, so a load balancer sends them elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from voicedock.store import Database
from voicedock.store.nodes import beat
from voicedock.timeutil import now_iso

from .fakes import FakeTelephony


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends


class AsteriskGone(FakeTelephony):
    def health(self) -> dict[str, Any]:
        return {"status": "error", "ari": "disconnected", "active_calls": 0, "trunks": {}}


async def test_health_is_503_while_ari_is_disconnected(make_client: Any, db: Database) -> None:
    client = await make_client(telephony_service=AsteriskGone(db), telephony=True)
    resp = await client.get("/api/v1/health")
    body = await resp.json()
    assert resp.status == 503
    assert body["status"] == "degraded" and body["checks"]["asterisk"]["ari"] == "disconnected"


async def test_health_is_503_when_telephony_is_on_but_asterisk_is_missing(make_client: Any) -> None:
    client = await make_client(telephony=True)
    resp = await client.get("/api/v1/health")
    assert resp.status == 503
    assert (await resp.json())["checks"]["asterisk"]["status"] == "unavailable"


async def test_health_is_200_when_connected_or_api_only_by_choice(make_client: Any, db: Database) -> None:
    connected = await make_client(telephony_service=FakeTelephony(db), telephony=True)
    resp = await connected.get("/api/v1/health")
    assert resp.status == 200 and (await resp.json())["status"] == "ok"
    api_only = await make_client(telephony=False)
    resp = await api_only.get("/api/v1/health")
    assert resp.status == 200 and (await resp.json())["checks"]["asterisk"]["status"] == "disabled"


async def test_health_lists_every_node_sharing_the_store(make_client: Any, db: Database) -> None:
    for node, capacity in (("node-a", 2), ("node-b", 4)):
        db.write_sync(lambda d, node=node, capacity=capacity: beat(d, node, capacity, now_iso(), now_iso()))
    client = await make_client(telephony=False)
    body = await (await client.get("/api/v1/health")).json()
    assert body["nodes"] == [{"id": "node-a", "status": "up", "active_calls": 0, "capacity": 2},
                             {"id": "node-b", "status": "up", "active_calls": 0, "capacity": 4}]
