"""Call records, usage rows and account totals."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ..ids import new_id
from ..timeutil import iso, now_iso, utcnow
from .errors import NotFound

ACTIVE_STATUSES = ("queued", "ringing", "in-progress")
DATA_DEFAULTS: dict[str, Any] = {
    "messages": [], "tool_calls": [], "summary": None, "analysis": None, "recording_url": None,
    "latency": [], "metadata": {},
}
COLUMNS = ("id", "type", "status", "ended_reason", "assistant_id", "phone_number_id", "caller_phone",
           "agent_phone", "started_at", "ended_at", "duration_seconds", "cost", "created_at", "node")


def call_out(row: dict[str, Any]) -> dict[str, Any]:
    data = {**DATA_DEFAULTS, **json.loads(row["data"])}
    return {**{k: row[k] for k in COLUMNS}, **data}


def create_call(db: sqlite_utils.Database, **fields: Any) -> dict[str, Any]:
    now = now_iso()
    data = {k: fields.pop(k) for k in list(fields) if k in DATA_DEFAULTS}
    row = {k: None for k in COLUMNS} | {"id": new_id("call"), "status": "queued", "created_at": now}
    row.update(fields)
    row.update(data=json.dumps({**DATA_DEFAULTS, **data}), updated_at=now)
    db.table("calls").insert(row)
    return call_out(row)


def call_row(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM calls WHERE id = ?", [ident]))
    if not rows:
        raise NotFound("call", ident)
    return rows[0]


def get_call(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    return call_out(call_row(db, ident))


def update_call(db: sqlite_utils.Database, ident: str, **fields: Any) -> dict[str, Any]:
    row = call_row(db, ident)
    data = json.loads(row["data"])
    for key in [k for k in fields if k in DATA_DEFAULTS]:
        data[key] = fields.pop(key)
    changes = {**fields, "data": json.dumps(data), "updated_at": now_iso()}
    db.table("calls").update(ident, changes)
    return call_out({**row, **changes})


def list_calls(
    db: sqlite_utils.Database, *, limit: int, offset: int, status: str | None = None,
    assistant_id: str | None = None, since: str | None = None, until: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    where, params = [], []
    for column, op, value in (("status", "=", status), ("assistant_id", "=", assistant_id),
                              ("created_at", ">=", since), ("created_at", "<", until)):
        if value is not None:
            where.append(f"{column} {op} ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = db.query(f"SELECT * FROM calls {clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                    [*params, limit, offset])
    items = [call_out(r) for r in rows]
    total = db.execute(f"SELECT count(*) FROM calls {clause}", params).fetchone()[0]
    return items, total


def record_usage(db: sqlite_utils.Database, call_id: str, number_id: str | None, seconds: float, cost: float) -> None:
    db.table("usage").insert({"id": new_id("usage"), "call_id": call_id, "number_id": number_id,
                        "duration_sec": seconds, "cost": cost, "created_at": now_iso()})


def usage(db: sqlite_utils.Database, start: str | None, end: str | None, *, with_cost: bool = False) -> dict[str, Any]:
    """Usage rows and their totals. The API's `/usage` lists rows without their cost, as the contract
    has it; `with_cost` keeps each row's cost (the dashboard charts cost per day)."""
    where, params = [], []
    if start is not None:
        where.append("created_at >= ?")
        params.append(start)
    if end is not None:
        where.append("created_at < ?")
        params.append(end)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = list(db.query(f"SELECT id, call_id, duration_sec, created_at, number_id, cost FROM usage {clause} "
                         "ORDER BY created_at", params))
    seconds = sum(r["duration_sec"] for r in rows)
    cost = sum(r["cost"] for r in rows)
    return {
        "usage": [{k: r[k] for k in ("id", "call_id", "duration_sec", "created_at", "number_id",
                                     *(("cost",) if with_cost else ()))} for r in rows],
        "summary": {"total_seconds": round(seconds, 3), "total_minutes": round(seconds / 60, 3),
                    "total_cost": round(cost, 6)},
    }


def account(db: sqlite_utils.Database, company_name: str | None = None) -> dict[str, Any]:
    acct = next(iter(db.query("SELECT id, company_name FROM account LIMIT 1")))
    month_start = iso(utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    marks = ",".join("?" * len(ACTIVE_STATUSES))
    return {
        "id": acct["id"],
        "company_name": company_name or acct["company_name"],
        "active_numbers": db.execute("SELECT count(*) FROM numbers WHERE assistant_id IS NOT NULL").fetchone()[0],
        "active_assistants": db.execute("SELECT count(*) FROM assistants WHERE is_active = 1").fetchone()[0],
        "active_calls": db.execute(f"SELECT count(*) FROM calls WHERE status IN ({marks})",
                                   ACTIVE_STATUSES).fetchone()[0],
        "monthly_usage_minutes": round(
            db.execute("SELECT coalesce(sum(duration_sec), 0) FROM usage WHERE created_at >= ?",
                       [month_start]).fetchone()[0] / 60, 3),
    }
