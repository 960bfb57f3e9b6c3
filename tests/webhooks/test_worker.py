"""The outbox worker against real aiohttp receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import web

from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.webhooks import enqueue, list_deliveries
from voicedock.webhooks import payloads as p
from voicedock_bench.ports import free_port

from .helpers import add_assistant, event_rows, fresh, wait_for, wait_for_db


@pytest.fixture
def backend(both_backends: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return both_backends

CTX = p.MessageContext(call=p.CallRef("call_1", "inbound_phone_call", "ended"), assistant={"name": "A"})
EVENTS = ["status-update", "end-of-call-report", "transcript"]


def config_for(url: str) -> dict[str, Any]:
    return {"name": "A", "webhook_url": url, "webhook_events": EVENTS}


async def send(db: Database, worker: Any, assistant_id: str, config: dict[str, Any], n: int = 1) -> list[str]:
    def fn(d: Any) -> list[str]:
        ids: list[str] = []
        for i in range(n):
            ids += enqueue(
                d,
                event_type="transcript",
                assistant_config=config,
                assistant_id=assistant_id,
                call_id="call_1",
                payload=p.transcript(CTX, "user", f"utterance {i}"),
            )
        return ids

    ids = await db.write(fn)
    worker.poke()
    return ids


def status_of(event_id: str) -> Any:
    return lambda d: event_rows(d)[event_id]["status"]


async def test_delivers_signed_fresh_requests(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    receiver, server = await make_receiver()
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "succeeded")
    [got] = receiver.received
    assert receiver.bad_signatures == 0
    assert got.event_id == event_id and got.headers["X-Webhook-Event"] == "transcript"
    assert fresh(got.headers["X-Webhook-Timestamp"])
    assert got.headers["User-Agent"].startswith("VoiceDock/")
    assert got.json["message"]["transcript"] == "utterance 0"
    rows, _ = await db.read(lambda d: list_deliveries(d, call_id="call_1"))
    [attempt] = rows[0]["attempts"]
    assert attempt["status_code"] == 200 and attempt["latency_ms"] >= 0 and attempt["response_snippet"] == "{}"


async def test_retries_500_with_backoff_then_succeeds(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    async def flaky(request: web.Request, n: int) -> web.StreamResponse:
        return web.Response(status=500, text="x" * 2000) if n < 2 else web.json_response({})

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = flaky
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "succeeded")
    times = [r.at for r in receiver.received]
    assert len(times) == 3 and {r.event_id for r in receiver.received} == {event_id}
    assert times[1] - times[0] >= 0.045 and times[2] - times[1] >= 0.095  # schedule (0.05, 0.1, ...)
    rows, _ = await db.read(lambda d: list_deliveries(d))
    codes = [a["status_code"] for a in rows[0]["attempts"]]
    assert codes == [500, 500, 200]
    assert len(rows[0]["attempts"][0]["response_snippet"]) == 500


async def test_closed_port_is_retried_until_the_schedule_runs_out(
    db: Database, box: SecretBox, make_worker: Any
) -> None:
    port = free_port("tcp")
    config = config_for(f"http://127.0.0.1:{port}/hook")
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "failed")
    rows, _ = await db.read(lambda d: list_deliveries(d))
    attempts = rows[0]["attempts"]
    assert len(attempts) == 4  # first attempt + three retries of the test schedule
    assert all(a["status_code"] is None and a["error"] for a in attempts)


async def test_410_disables_the_endpoint_for_that_assistant(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    async def gone(request: web.Request, n: int) -> web.StreamResponse:
        return web.Response(status=410)

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = gone
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker(per_endpoint_limit=1)
    ids = await send(db, worker, assistant_id, config, n=3)
    await wait_for_db(db, lambda d: all(status_of(i)(d) == "disabled" for i in ids))
    assert len(receiver.received) == 1  # the rest were parked, not sent
    assert await send(db, worker, assistant_id, config) == []  # nothing new is queued
    assert await db.read(lambda d: d["webhook_disabled_endpoints"].count) == 1


async def test_client_error_is_permanent(db: Database, box: SecretBox, make_receiver: Any, make_worker: Any) -> None:
    async def bad(request: web.Request, n: int) -> web.StreamResponse:
        return web.Response(status=400, text="bad request")

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = bad
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "failed")
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1


async def test_retry_after_is_honoured(db: Database, box: SecretBox, make_receiver: Any, make_worker: Any) -> None:
    async def busy(request: web.Request, n: int) -> web.StreamResponse:
        if n == 0:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.json_response({})

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = busy
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "succeeded", within=5)
    first, second = receiver.received
    assert 0.95 <= second.at - first.at < 2.5  # the schedule alone would have retried after 0.05 s


async def test_garbage_reply_with_2xx_counts_as_delivered(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    async def garbage(request: web.Request, n: int) -> web.StreamResponse:
        return web.Response(status=200, body=b"\x00\xff<html>not json", content_type="application/octet-stream")

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = garbage
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "succeeded")
    rows, _ = await db.read(lambda d: list_deliveries(d))
    assert "not json" in rows[0]["attempts"][0]["response_snippet"]


async def test_slow_endpoint_does_not_delay_a_fast_one(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.wait_for(release.wait(), 10)
        return web.json_response({})

    slow, slow_server = await make_receiver()
    slow.routes["/hook"] = hang
    fast, fast_server = await make_receiver()
    slow_config = config_for(str(slow_server.make_url("/hook")))
    fast_config = config_for(str(fast_server.make_url("/hook")))
    slow_id = add_assistant(db, box, slow_config)
    fast_id = add_assistant(db, box, fast_config)
    worker = await make_worker(max_concurrency=16, per_endpoint_limit=4, request_timeout=5)
    await send(db, worker, slow_id, slow_config, n=40)  # far more than the slow endpoint's slots
    await wait_for(lambda: len(slow.received) == 4)
    started = time.monotonic()
    fast_ids = await send(db, worker, fast_id, fast_config, n=20)
    await wait_for(lambda: len(fast.received) == 20, within=3)
    assert time.monotonic() - started < 1.0
    assert {r.event_id for r in fast.received} == set(fast_ids)
    assert len(slow.received) == 4  # still stuck on its own four slots
    release.set()


async def test_pending_events_are_picked_up_on_start(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    receiver, server = await make_receiver()
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)

    class NoWorker:
        def poke(self) -> None:
            pass

    ids = await send(db, NoWorker(), assistant_id, config, n=5)
    await make_worker()
    await wait_for(lambda: len(receiver.received) == 5)
    assert sorted(r.event_id for r in receiver.received) == sorted(ids)


async def test_event_of_a_deleted_assistant_is_signed_with_the_secret_it_was_queued_with(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    receiver, server = await make_receiver()
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)

    class NoWorker:
        def poke(self) -> None:
            pass

    [event_id] = await send(db, NoWorker(), assistant_id, config)
    await db.write(lambda d: d.execute("DELETE FROM assistants WHERE id = ?", [assistant_id]))
    await make_worker()
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "succeeded")
    assert receiver.bad_signatures == 0


async def test_close_records_attempts_that_finish_within_the_grace(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    async def slow(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.sleep(0.2)
        return web.json_response({})

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = slow
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker(shutdown_grace=2.0)
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for(lambda: len(receiver.received) == 1)
    await worker.aclose()
    row = (await db.read(event_rows))[event_id]
    assert row["status"] == "succeeded" and row["attempts"] == 1
    assert await db.read(lambda d: d["webhook_attempts"].count) == 1


async def test_close_abandons_a_hung_attempt_which_stays_pending(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.wait_for(release.wait(), 10)
        return web.json_response({})

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = hang
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    worker = await make_worker(shutdown_grace=0.1)
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for(lambda: len(receiver.received) == 1)
    started = time.monotonic()
    await worker.aclose()
    release.set()
    assert time.monotonic() - started < 1.0
    row = (await db.read(event_rows))[event_id]
    assert row["status"] == "pending" and row["attempts"] == 0  # delivered again by the next start


async def test_missing_secret_fails_without_sending_unsigned(
    db: Database, box: SecretBox, make_receiver: Any, make_worker: Any
) -> None:
    receiver, server = await make_receiver()
    config = config_for(str(server.make_url("/hook")))
    assistant_id = add_assistant(db, box, config)
    await db.write(lambda d: d.execute("UPDATE assistants SET webhook_secret_enc = NULL"))
    worker = await make_worker()
    [event_id] = await send(db, worker, assistant_id, config)
    await wait_for_db(db, lambda d: status_of(event_id)(d) == "failed")
    assert receiver.received == []
