from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store.errors import NotFound
from voicedock.webhooks import enqueue, list_deliveries, requeue
from voicedock.webhooks import payloads as p
from voicedock.webhooks.outbox import disable_endpoint, is_disabled
from voicedock.webhooks.routing import redact_url, targets

from .helpers import add_assistant, event_rows


@pytest.fixture
def backend(both_backends: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return both_backends

CTX = p.MessageContext(call=p.CallRef("call_1", "inbound_phone_call", "in-progress"), assistant={})
CONFIG: dict[str, Any] = {
    "webhook_url": "http://hooks.test/main",
    "webhook_events": ["status-update", "tool-calls", "end-of-call-report"],
    "llm_config": {"tools": [{"type": "function", "name": "book", "url": "http://tools.test/book"}]},
}


def _enqueue(
    db: Database,
    event_type: str,
    payload: dict[str, Any],
    config: dict[str, Any] = CONFIG,
    assistant_id: str | None = "asst_x",
) -> list[str]:
    return db.write_sync(
        lambda d: enqueue(
            d,
            event_type=event_type,
            assistant_config=config,
            assistant_id=assistant_id,
            call_id="call_1",
            payload=payload,
        )
    )


def test_only_subscribed_events_are_enqueued(db: Database) -> None:
    assert _enqueue(db, "transcript", p.transcript(CTX, "user", "hi")) == []
    ids = _enqueue(db, "status-update", p.status_update(CTX, "ended"))
    assert len(ids) == 1 and ids[0].startswith("whd_")
    row = db.read_sync(event_rows)[ids[0]]
    assert row["status"] == "pending" and row["url"] == "http://hooks.test/main" and row["attempts"] == 0
    assert _enqueue(db, "status-update", p.status_update(CTX, "ended"), {**CONFIG, "webhook_url": None}) == []


def test_tool_calls_go_to_the_tools_own_url_and_split_by_server(db: Database) -> None:
    body = p.tool_calls(CTX, [p.ToolCall("c1", "book"), p.ToolCall("c2", "lookup")])
    ids = _enqueue(db, "tool-calls", body)
    rows = db.read_sync(event_rows)
    by_url = {rows[i]["url"]: rows[i] for i in ids}
    assert set(by_url) == {"http://tools.test/book", "http://hooks.test/main"}
    assert '"c1"' in by_url["http://tools.test/book"]["payload"]
    assert '"c2"' not in by_url["http://tools.test/book"]["payload"]


def test_enqueue_commits_or_rolls_back_with_the_callers_change(db: Database) -> None:
    def change_then_fail(d: Any) -> None:
        d["calls"].insert(
            {
                "id": "call_1",
                "type": "inbound_phone_call",
                "status": "ended",
                "data": "{}",
                "created_at": "t",
                "updated_at": "t",
            }
        )
        enqueue(
            d,
            event_type="status-update",
            assistant_config=CONFIG,
            assistant_id="asst_x",
            call_id="call_1",
            payload=p.status_update(CTX, "ended"),
        )
        raise RuntimeError("state change failed")

    with pytest.raises(RuntimeError):
        db.write_sync(change_then_fail)
    assert db.read_sync(event_rows) == {}
    assert db.read_sync(lambda d: d["calls"].count) == 0


def test_enqueue_accepts_a_plain_connection(tmp_path: Any) -> None:
    """SQLite's alone: a plain sqlite3 connection (the store's own `db` fixture runs on both backends)."""
    db = Database(tmp_path / "plain.db")
    db.migrate_sync()
    conn = sqlite3.connect(db.path)
    with conn:
        ids = enqueue(
            conn,
            event_type="end-of-call-report",
            assistant_config=CONFIG,
            assistant_id=None,
            call_id="call_1",
            payload=p.end_of_call_report(CTX, p.EndOfCallReport("hangup")),
        )
    conn.close()
    assert list(db.read_sync(event_rows)) == ids
    db.close()


def test_disabled_endpoint_gets_nothing_new_and_parks_its_queue(db: Database) -> None:
    waiting = _enqueue(db, "status-update", p.status_update(CTX, "in-progress"))
    db.write_sync(
        lambda d: disable_endpoint(
            d, assistant_id="asst_x", url="http://hooks.test/main", event_id=waiting[0], status_code=410, now="t"
        )
    )
    assert db.read_sync(lambda d: is_disabled(d, "asst_x", "http://hooks.test/main"))
    assert db.read_sync(event_rows)[waiting[0]]["status"] == "disabled"
    assert _enqueue(db, "status-update", p.status_update(CTX, "ended")) == []
    # Another assistant using the same URL is not affected.
    assert len(_enqueue(db, "status-update", p.status_update(CTX, "ended"), assistant_id="asst_other")) == 1


def test_requeue_resets_and_reenables(db: Database) -> None:
    ids = _enqueue(db, "status-update", p.status_update(CTX, "ended"))
    db.write_sync(lambda d: d.execute("UPDATE webhook_events SET status='failed', attempts=11 WHERE id=?", ids))
    db.write_sync(
        lambda d: disable_endpoint(
            d, assistant_id="asst_x", url="http://hooks.test/main", event_id=ids[0], status_code=410, now="t"
        )
    )
    delivery = db.write_sync(lambda d: requeue(d, ids[0]))
    assert delivery["id"] == ids[0] and delivery["status"] == "pending" and delivery["event"] == "status-update"
    row = db.read_sync(event_rows)[ids[0]]
    assert row["status"] == "pending" and row["attempt_base"] == 11 and row["next_attempt_at"]
    assert not db.read_sync(lambda d: is_disabled(d, "asst_x", "http://hooks.test/main"))
    with pytest.raises(NotFound):
        db.write_sync(lambda d: requeue(d, "whd_missing"))


def test_list_deliveries_filters_pages_and_hides_secrets(db: Database, box: SecretBox) -> None:
    config = {**CONFIG, "webhook_url": "http://user:pw@hooks.test/main"}
    assistant_id = add_assistant(db, box, config, secret="whsec_private")
    for status in ("in-progress", "ended"):
        _enqueue(db, "status-update", p.status_update(CTX, status), config, assistant_id)
    _enqueue(db, "end-of-call-report", p.end_of_call_report(CTX, p.EndOfCallReport("hangup")), config, assistant_id)
    rows, total = db.read_sync(lambda d: list_deliveries(d, call_id="call_1", event="status-update", limit=1))
    assert total == 2 and len(rows) == 1
    row = rows[0]
    assert row["url"] == "http://user:***@hooks.test/main"
    assert row["attempts"] == [] and row["attempt_count"] == 0
    assert row["payload"]["message"]["type"] == "status-update"
    assert "secret" not in repr(rows) and "whsec_private" not in repr(rows)
    rows, total = db.read_sync(lambda d: list_deliveries(d, status="pending", offset=2))
    assert total == 3 and len(rows) == 1


def test_redact_url_keeps_everything_but_the_password() -> None:
    assert redact_url("https://a:b@h.test:8443/p?q=1") == "https://a:***@h.test:8443/p?q=1"
    assert redact_url("https://h.test/p") == "https://h.test/p"


def test_targets_without_webhook_events_sends_nothing() -> None:
    assert targets("status-update", {"webhook_url": "http://h"}, p.status_update(CTX, "ended")) == []
