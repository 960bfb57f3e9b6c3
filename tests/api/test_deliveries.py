"""The webhook delivery log: filters, attempts, manual retry."""

from __future__ import annotations

from typing import Any

import pytest

from voicedock.store import Database
from voicedock.webhooks import enqueue

from .conftest import Api, assert_error


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends

ASSISTANT = {"webhook_url": "https://user:hunter2@hooks.example.com/in",
             "webhook_events": ["status-update", "end-of-call-report"]}


def seed(db: Database, event_type: str, call_id: str) -> list[str]:
    payload = {"message": {"type": event_type, "call": {"id": call_id}}}
    return db.write_sync(lambda d: enqueue(d, event_type=event_type, assistant_config=ASSISTANT,
                                           assistant_id="asst_x", call_id=call_id, payload=payload))


async def test_list_filters_by_call_event_and_status(api: Api, db: Database) -> None:
    [first] = seed(db, "status-update", "call_1")
    [second] = seed(db, "end-of-call-report", "call_2")
    assert seed(db, "transcript", "call_1") == [], "events the assistant did not subscribe to are not sent"
    status, body, _ = await api.call("GET", "/webhook-deliveries")
    assert status == 200 and {d["id"] for d in body["deliveries"]} == {first, second}
    _, body, _ = await api.call("GET", "/webhook-deliveries?call_id=call_1")
    assert [d["id"] for d in body["deliveries"]] == [first]
    _, body, _ = await api.call("GET", "/webhook-deliveries?event=end-of-call-report&status=pending")
    assert [d["id"] for d in body["deliveries"]] == [second]
    delivery = body["deliveries"][0]
    assert delivery["event"] == "end-of-call-report" and delivery["attempts"] == []
    assert "hunter2" not in str(body), "URL passwords never appear in the log"
    status, body, _ = await api.call("GET", "/webhook-deliveries?status=lost")
    assert_error(status, body, 400, "invalid_request", "status")


async def test_retry_requeues_and_pokes_the_worker(make_client: Any, api_key: str, db: Database) -> None:
    class Worker:
        pokes = 0

        def poke(self) -> None:
            Worker.pokes += 1

    [ident] = seed(db, "status-update", "call_3")
    db.write_sync(lambda d: d.execute("UPDATE webhook_events SET status = 'failed' WHERE id = ?", [ident]))
    api = Api(await make_client(webhook_worker=Worker()), api_key)
    status, body, _ = await api.call("POST", f"/webhook-deliveries/{ident}/retry")
    assert status == 200 and body["delivery"]["status"] == "pending"
    assert Worker.pokes == 1
    status, body, _ = await api.call("POST", "/webhook-deliveries/whd_nope/retry")
    assert_error(status, body, 404)
