"""The delivery log as the API serves it: events with their attempts, newest first.

Rows are built for ``GET /webhook-deliveries``; the stored secret and any URL password never
appear in them.
"""

from __future__ import annotations

import json
from typing import Any

from .routing import redact_url
from .sql import DbLike, cursor

_PUBLIC_COLUMNS = (
    "id, event_type, call_id, assistant_id, url, status, attempts, next_attempt_at, last_status_code,"
    " last_error, created_at, updated_at, mode, payload"
)


def list_deliveries(
    db: DbLike,
    *,
    call_id: str | None = None,
    event: str | None = None,
    status: str | None = None,
    assistant_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, each with its attempts (oldest first); secrets are never part of a row."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("call_id", call_id),
        ("event_type", event),
        ("status", status),
        ("assistant_id", assistant_id),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    cur = cursor(db)
    total = cur.execute(f"SELECT COUNT(*) FROM webhook_events{clause}", params).fetchone()[0]
    rows = cur.execute(
        f"SELECT {_PUBLIC_COLUMNS} FROM webhook_events{clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return _public(db, rows), total


def get_delivery(db: DbLike, event_id: str) -> dict[str, Any] | None:
    rows = cursor(db).execute(f"SELECT {_PUBLIC_COLUMNS} FROM webhook_events WHERE id = ?", (event_id,)).fetchall()
    found = _public(db, rows)
    return found[0] if found else None


def _public(db: DbLike, rows: list[Any]) -> list[dict[str, Any]]:
    """API shape: ``event`` names the type, ``attempts`` lists every attempt, ``attempt_count`` counts them."""
    attempts: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    if rows:
        marks = ",".join("?" * len(rows))
        for a in cursor(db).execute(
            "SELECT event_id, attempted_at, url, status_code, latency_ms, response_snippet, error"
            f" FROM webhook_attempts WHERE event_id IN ({marks}) ORDER BY attempted_at, rowid",
            list(attempts),
        ):
            attempts[a["event_id"]].append({k: a[k] for k in a.keys() if k != "event_id"})
    out = []
    for row in rows:
        r = dict(row)
        r["event"] = r.pop("event_type")
        r["url"] = redact_url(r["url"])
        r["payload"] = json.loads(r["payload"])
        r["attempt_count"] = r.pop("attempts")
        r["attempts"] = attempts[r["id"]]
        out.append(r)
    return out
