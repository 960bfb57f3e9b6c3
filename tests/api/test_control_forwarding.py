"""Live call control sent to any node reaches the node that carries the call: two API servers sharing
one store, node-1 and node-2, each with its own call side."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from api.forwarding import FORWARDED, SIGNATURE, sign
from tests.dashboard.conftest import csrf_of, login_link
from voicedock.config import Settings
from voicedock.heartbeat import NodeHeartbeat
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store import calls as store_calls
from voicedock.store.nodes import FAILED, STOPPED, beat, find_node
from voicedock.timeutil import now_iso

from .conftest import Api, assert_error
from .fakes import FakeTelephony

SAY = {"type": "say", "content": "One moment please.", "end_after": False}


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends


@dataclass
class Node:
    name: str
    client: TestClient
    telephony: FakeTelephony

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@pytest.fixture
def make_node(make_client: Callable[..., Awaitable[TestClient]], db: Database) -> Callable[..., Awaitable[Node]]:
    async def make(name: str, **overrides: Any) -> Node:
        telephony = FakeTelephony(db)
        client = await make_client(telephony_service=telephony, node_id=name, **overrides)
        return Node(name, client, telephony)

    return make


def heartbeat(db: Database, node: str, url: str | None, status: str = "up") -> None:
    db.write_sync(lambda d: beat(d, node, 4, now_iso(), now_iso(), status=status, url=url))


def call_on(db: Database, node: str) -> str:
    call = db.write_sync(lambda d: store_calls.create_call(d, type="inbound_phone_call", status="in-progress",
                                                          node=node))
    return str(call["id"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_command_sent_to_another_node_reaches_the_session_on_the_owner(
        make_node: Callable[..., Awaitable[Node]], db: Database, api_key: str) -> None:
    node1, node2 = await make_node("node-1"), await make_node("node-2")
    heartbeat(db, "node-2", node2.url)
    call_id = call_on(db, "node-2")
    status, body, _ = await Api(node1.client, api_key).call("POST", f"/calls/{call_id}/control", SAY)
    assert status == 200 and body == {"success": True, "message": "say accepted"}
    assert node2.telephony.commands == [(call_id, SAY)] and node1.telephony.commands == []


async def test_the_owners_refusal_comes_back_as_it_is(make_node: Callable[..., Awaitable[Node]], db: Database,
                                                       api_key: str) -> None:
    node1, node2 = await make_node("node-1"), await make_node("node-2", control_limit_per_minute=1)
    heartbeat(db, "node-2", node2.url)
    call_id = call_on(db, "node-2")
    api1 = Api(node1.client, api_key)
    assert (await api1.call("POST", f"/calls/{call_id}/control", SAY))[0] == 200
    status, body, headers = await api1.call("POST", f"/calls/{call_id}/control", SAY)
    assert_error(status, body, 429, "rate_limit_exceeded", None)  # the owner's limit for this call
    assert int(headers["Retry-After"]) > 0
    assert body["error"]["message"] == "Call control limit of 1 commands per minute exceeded for this call"


async def test_a_forwarded_command_is_never_forwarded_again(make_node: Callable[..., Awaitable[Node]],
                                                            db: Database, api_key: str) -> None:
    node1 = await make_node("node-1")
    heartbeat(db, "node-2", node1.url)  # node-2's row wrongly points at node-1: still no loop
    call_id = call_on(db, "node-2")
    api1 = Api(node1.client, api_key)
    status, body, _ = await api1.call("POST", f"/calls/{call_id}/control", SAY)
    assert_error(status, body, 409, "call_not_live", None)
    assert "carried by node node-2, not by this one" in body["error"]["message"]
    resp = await node1.client.post(f"/api/v1/calls/{call_id}/control", json=SAY,
                                   headers={**api1.headers(), FORWARDED: "node-3"})
    assert_error(resp.status, await resp.json(), 409, "call_not_live", None)
    assert node1.telephony.commands == []


@pytest.mark.parametrize("state", [FAILED, STOPPED, None])
async def test_a_command_for_a_call_on_a_node_that_is_gone_is_refused(
        make_node: Callable[..., Awaitable[Node]], db: Database, api_key: str, state: str | None) -> None:
    node1 = await make_node("node-1")
    if state is not None:
        heartbeat(db, "node-2", "http://127.0.0.1:9", status=state)
    call_id = call_on(db, "node-2")
    status, body, _ = await Api(node1.client, api_key).call("POST", f"/calls/{call_id}/control", SAY)
    assert_error(status, body, 409, "call_not_live", None)
    assert f"node node-2, which is {state or 'unknown'}" in body["error"]["message"]


async def test_an_owner_that_does_not_answer_gives_503_and_the_key_is_not_logged(
        make_node: Callable[..., Awaitable[Node]], db: Database, api_key: str, log_text: Callable[[], str]) -> None:
    node1 = await make_node("node-1")
    heartbeat(db, "node-2", f"http://127.0.0.1:{free_port()}")
    call_id = call_on(db, "node-2")
    started = time.monotonic()
    status, body, _ = await Api(node1.client, api_key).call("POST", f"/calls/{call_id}/control", SAY)
    assert_error(status, body, 503, "node_unreachable", None)
    assert time.monotonic() - started < 5
    assert call_id in log_text() and api_key not in log_text()


async def test_a_dashboard_command_reaches_the_owner(make_node: Callable[..., Awaitable[Node]],
                                                     db: Database) -> None:
    node1, node2 = await make_node("node-1"), await make_node("node-2")
    heartbeat(db, "node-2", node2.url)
    call_id = call_on(db, "node-2")
    await node1.client.get(login_link(db))
    csrf = csrf_of(await (await node1.client.get("/dashboard/live")).text())
    resp = await node1.client.post(f"/dashboard/calls/{call_id}/control", allow_redirects=False,
                                   data={"csrf_token": csrf, "type": "end-call", "message": "Goodbye."})
    assert resp.status == 303, await resp.text()
    assert node2.telephony.commands == [(call_id, {"type": "end-call", "message": "Goodbye."})]


async def test_a_node_signature_stands_in_for_a_key_on_control_only(
        make_node: Callable[..., Awaitable[Node]], db: Database, settings: Settings) -> None:
    node2 = await make_node("node-2")
    call_id = call_on(db, "node-2")
    path = f"/api/v1/calls/{call_id}/control"
    body = b'{"type": "say", "content": "Hello."}'
    box = SecretBox(settings.secret_key_path)

    async def post(signature: str, url: str = path, data: bytes = body) -> int:
        resp = await node2.client.post(url, data=data, headers={FORWARDED: "node-1", SIGNATURE: signature,
                                                                "Content-Type": "application/json"})
        return resp.status

    assert await post(sign(box, "POST", path, "node-1", body, time.time())) == 200
    assert await post(sign(box, "POST", path, "node-1", body, time.time() - 600)) == 401  # stale
    assert await post(sign(box, "POST", path, "node-1", b"{}", time.time())) == 401  # another body
    assert await post(sign(SecretBox(settings.data_dir / "other.key"), "POST", path, "node-1", body,
                           time.time())) == 401  # another cluster's key
    other = "/api/v1/assistants"
    assert await post(sign(box, "POST", other, "node-1", body, time.time()), url=other) == 401
    assert len(node2.telephony.commands) == 1


async def test_a_recording_another_node_holds_is_served_by_any_node(
        make_node: Callable[..., Awaitable[Node]], db: Database, api_key: str, settings: Settings,
        tmp_path: Path) -> None:
    """Each node keeps the recordings of its calls in its own data directory: node-1 fetches node-2's
    and streams it on, for an API key and for a dashboard session alike; a recording node that is down
    is said to be out of reach, not missing."""
    node2_dir = tmp_path / "node-2"
    (node2_dir / "recordings").mkdir(parents=True)
    SecretBox(settings.secret_key_path)  # made on first use
    shutil.copy2(settings.secret_key_path, node2_dir / "secret.key")  # the nodes share one key
    node1, node2 = await make_node("node-1"), await make_node("node-2", data_dir=node2_dir)
    heartbeat(db, "node-2", node2.url)
    call = db.write_sync(lambda d: store_calls.create_call(d, type="inbound_phone_call", status="ended",
                                                          node="node-2", recording_url="/recording"))
    wav = b"RIFF" + bytes(range(256)) * 400
    (node2_dir / "recordings" / f"{call['id']}.wav").write_bytes(wav)
    api1 = Api(node1.client, api_key)
    resp = await node1.client.get(f"/api/v1/calls/{call['id']}/recording", headers=api1.headers())
    assert resp.status == 200 and await resp.read() == wav
    assert resp.headers["Content-Type"] == "audio/wav"

    await node1.client.get(login_link(db))
    resp = await node1.client.get(f"/dashboard/calls/{call['id']}/recording")
    assert resp.status == 200 and await resp.read() == wav

    heartbeat(db, "node-2", node2.url, status=FAILED)
    status, body, _ = await api1.call("GET", f"/calls/{call['id']}/recording")
    assert_error(status, body, 503, "node_unreachable", None)
    assert "recorded by node node-2, which is failed" in body["error"]["message"]
    here = db.write_sync(lambda d: store_calls.create_call(d, type="inbound_phone_call", status="ended",
                                                          node="node-1"))
    assert_error(*(await api1.call("GET", f"/calls/{here['id']}/recording"))[:2], 404, "recording_not_found", None)


async def test_the_heartbeat_row_says_where_the_nodes_api_is(db: Database) -> None:
    job = NodeHeartbeat(db, "node-2", capacity=4, price_per_minute=0.0, timeout=15.0, poke=lambda: None,
                        url="http://10.0.0.2:8000")
    await job.run_once()
    found = db.read_sync(lambda d: find_node(d, "node-2"))
    assert found is not None and found.status == "up" and found.url == "http://10.0.0.2:8000"
    assert "url" not in found.to_dict()  # /health lists no internal address
    await job.aclose()
    stopped = db.read_sync(lambda d: find_node(d, "node-2"))
    assert stopped is not None and stopped.status == STOPPED and stopped.url == "http://10.0.0.2:8000"
