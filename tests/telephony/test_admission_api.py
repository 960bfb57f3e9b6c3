"""A full node through the HTTP API: `POST /calls` answers 429 `capacity_exceeded`, and `/health` and
`/metrics` show the capacity and the load, with the real controller behind them (a fake ARI only)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp.test_utils import TestClient

from api.app import create_app
from voicedock.admission import Admission, default_capacity
from voicedock.secrets import generate_api_key
from voicedock.store import records
from voicedock_ari.controller import CallController

from .harness import add_assistant, call, wait_for
from .test_controller_fake_ari import FakeAri, live_inbound


async def client_for(aiohttp_client: Any, ctl: CallController) -> tuple[TestClient, dict[str, str]]:
    key = generate_api_key()
    ctl.db.write_sync(lambda d: records.create_api_key(d, "test", key))
    app = create_app(replace(ctl.settings, telephony=True), db=ctl.db, telephony_service=ctl, metrics=ctl.metrics)
    return await aiohttp_client(app), {"Authorization": f"Bearer {key}"}


async def test_a_full_node_refuses_an_outbound_call_with_429_and_shows_its_load(
        aiohttp_client: Any, offline_controller: CallController) -> None:
    ctl = offline_controller
    ctl.admission = Admission(1)
    ctl.metrics.call_capacity.set(1)
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    client, auth = await client_for(aiohttp_client, ctl)
    assistant_id = add_assistant(ctl.db)
    body = {"assistant_id": assistant_id, "customer": {"number": "sip:someone@127.0.0.1:5099"}}

    first = await live_inbound(ctl, "chan-1", "call_first")
    resp = await client.post("/api/v1/calls", json=body, headers=auth)
    assert resp.status == 429
    error = (await resp.json())["error"]
    assert error["code"] == "capacity_exceeded" and error["param"] is None and "1 calls" in error["message"]
    assert error["type"]

    health = await (await client.get("/api/v1/health")).json()
    assert health["checks"]["asterisk"]["capacity"] == {"capacity": 1, "active_calls": 1, "available": 0,
                                                        "status": "full", "waiting": 0, "queue": 0}
    metrics = (await (await client.get("/metrics")).read()).decode()
    assert "voicedock_call_capacity 1.0" in metrics and "voicedock_call_load 1.0" in metrics
    assert 'voicedock_calls_refused_total{reason="capacity"} 1.0' in metrics

    first.request_end("ended", "customer-ended-call")
    await wait_for(lambda: call(ctl.db, "call_first")["status"] == "ended", 5, "the first call to end")
    resp = await client.post("/api/v1/calls", json=body, headers=auth)
    assert resp.status == 201, await resp.text()
    health = await (await client.get("/api/v1/health")).json()
    assert health["checks"]["asterisk"]["capacity"]["capacity"] == 1


def test_capacity_admits_up_to_its_limit_and_zero_means_no_limit() -> None:
    assert Admission(2).admits(1) and not Admission(2).admits(2)
    assert Admission(0).admits(10_000) and Admission(0).health(3)["capacity"] is None
    assert default_capacity(cores=2) == 2 and default_capacity(cores=0) == 1


def test_the_waiting_line_is_first_come_first_served_and_bounded() -> None:
    from voicedock.admission import WaitingLine

    line = WaitingLine(2)
    assert line.join("a") and line.join("b") and not line.join("c")  # full: the third hears "busy"
    assert line.first("a") and not line.first("b")
    line.leave("a")
    assert line.first("b") and len(line) == 1
    assert not WaitingLine(0).join("a")  # no queue unless configured
