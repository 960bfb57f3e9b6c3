"""A real call's webhooks arrive signed so that the seed's own verification code accepts them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.webhooks.helpers import Receiver, verify_webhook_signature
from voicedock.store import Database
from voicedock.webhooks import DeliveryWorker
from voicedock_ari.controller import CallController

from .audio import tone, write_wav
from .callers import dial
from .harness import add_assistant, add_number, call, only_call, uri, wait_for

pytestmark = pytest.mark.asterisk
SECRET = "test-webhook-secret"  # what harness.add_assistant encrypts for the assistant


async def test_status_updates_and_end_of_call_report_verify_with_the_seed_code(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    receiver = Receiver()
    server = TestServer(receiver.app(), host="127.0.0.1")
    await server.start_server()
    worker = DeliveryWorker(store, controller.box, poll_interval=0.1)
    await worker.start()
    controller.worker = worker
    try:
        url = f"http://127.0.0.1:{server.port}/hooks"
        add_number(store, add_assistant(store, box=controller.box, webhook_url=url,
                                        webhook_events=["status-update", "end-of-call-report"]))
        source = tmp_path / "caller.wav"
        write_wav(source, tone(440.0, 4.0))
        caller = await dial(tmp_path / "baresip", source, uri(controller),
                            seconds=3)
        try:
            row = await wait_for(only_call(store), 10, "the call record")
            await asyncio.wait_for(caller.process.wait(), 15)
            await wait_for(lambda: call(store, row["id"])["status"] == "ended", 10, "the call to end")
        finally:
            await caller.stop()
        await wait_for(lambda: len(receiver.received) >= 3, 10, "three webhooks")
    finally:
        controller.worker = None
        await worker.aclose()
        await server.close()

    kinds = []
    for request in receiver.received:
        headers = request.headers
        assert verify_webhook_signature(request.body, headers["X-Webhook-Timestamp"],
                                        headers["X-Webhook-Signature"], SECRET), "seed verification rejected it"
        assert not verify_webhook_signature(request.body + " ", headers["X-Webhook-Timestamp"],
                                            headers["X-Webhook-Signature"], SECRET)
        message = json.loads(request.body)["message"]
        assert message["call"]["id"] == row["id"] and headers["X-Webhook-Event"] == message["type"]
        assert headers["User-Agent"].startswith("VoiceDock/")
        kinds.append((message["type"], message.get("status")))
    assert ("status-update", "in-progress") in kinds and ("status-update", "ended") in kinds
    report = next(json.loads(r.body)["message"] for r in receiver.received
                  if json.loads(r.body)["message"]["type"] == "end-of-call-report")
    assert report["ended_reason"] == "customer-ended-call" and report["duration_seconds"] > 1
    assert len({r.headers["X-Webhook-Id"] for r in receiver.received}) == len(receiver.received)


