"""Nodes sharing one store: their heartbeats, and the closing of calls whose node stopped beating.

Each running server writes its row every few seconds (`beat`). A node whose row has not changed for
the timeout has died with its calls still `in-progress` in the store; whichever other node notices
first (`close_failed`) marks it `failed` and ends those calls `ended`/`node-failure` exactly as a
normal end would (usage row, status-update and end-of-call-report through the outbox), so their
webhooks are still delivered; calls it had ended but not yet analysed get their report, without
the analysis. Marking the node is a conditional UPDATE, so when two survivors notice
at once only one of them closes its calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .call_state import CallRecord, complete_report
from .calls import ACTIVE_STATUSES
from .lost_calls import NODE_FAILURE, LostCall, close, lost_call

UP = "up"
STOPPED = "stopped"  # shut down cleanly (its calls were drained first)
FAILED = "failed"  # stopped beating; its calls were closed by another node


@dataclass(frozen=True)
class Node:
    id: str
    status: str
    active_calls: int
    capacity: int
    heartbeat_at: str
    url: str | None = None  # this node's API for the other nodes (not listed: an internal address)

    def to_dict(self) -> dict[str, Any]:
        """As `/health` lists it."""
        return {"id": self.id, "status": self.status, "active_calls": self.active_calls, "capacity": self.capacity}


def _marks(values: tuple[str, ...] | list[str]) -> str:
    return ",".join("?" * len(values))


def beat(d: sqlite_utils.Database, node_id: str, capacity: int, started_at: str, now: str,
         status: str = UP, url: str | None = None) -> None:
    """Write this node's heartbeat: up (again, after a failure), with the calls it carries now and
    where its API is."""
    active = d.execute(f"SELECT count(*) FROM calls WHERE node = ? AND status IN ({_marks(ACTIVE_STATUSES)})",
                       [node_id, *ACTIVE_STATUSES]).fetchone()[0]
    d.execute(
        "INSERT INTO nodes (id, status, active_calls, capacity, started_at, heartbeat_at, url) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, active_calls = excluded.active_calls, "
        "capacity = excluded.capacity, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
        "url = excluded.url",
        [node_id, status, int(active), capacity, started_at, now, url])


_COLUMNS = "id, status, active_calls, capacity, heartbeat_at, url"


def list_nodes(d: sqlite_utils.Database) -> list[Node]:
    return [Node(**row) for row in d.query(f"SELECT {_COLUMNS} FROM nodes ORDER BY id")]


def find_node(d: sqlite_utils.Database, node_id: str) -> Node | None:
    rows = list(d.query(f"SELECT {_COLUMNS} FROM nodes WHERE id = ?", [node_id]))
    return Node(**rows[0]) if rows else None


def close_failed(d: sqlite_utils.Database, this_node: str, stale_before: str, price_per_minute: float) -> list[str]:
    """Mark `failed` every other node up but silent since `stale_before`, and end its live calls
    `ended`/`node-failure`; the webhook ids to deliver."""
    failed = [str(row[0]) for row in d.execute(
        "UPDATE nodes SET status = ? WHERE id != ? AND status = ? AND heartbeat_at < ? RETURNING id",
        [FAILED, this_node, UP, stale_before]).fetchall()]
    ids: list[str] = []
    for lost in _live_calls_of(d, failed):
        ids += close(d, lost, price_per_minute, reason=NODE_FAILURE)
    for record in _pending_reports_of(d, failed):  # its analysis died with the node: the report goes without
        ids += complete_report(d, record, None)
    return ids


def _live_calls_of(d: sqlite_utils.Database, nodes: list[str]) -> list[LostCall]:
    if not nodes:
        return []
    # On PostgreSQL the rows are locked as they are read: a node that was only slow, ending one of
    # these calls itself right now, finishes first, and `finish` then sees the call already ended.
    lock = " FOR UPDATE" if getattr(d, "dialect", "sqlite") == "postgresql" else ""
    rows = d.query(f"SELECT * FROM calls WHERE node IN ({_marks(nodes)}) AND status IN ({_marks(ACTIVE_STATUSES)}) "
                   f"ORDER BY created_at{lock}", [*nodes, *ACTIVE_STATUSES])
    return [lost_call(row) for row in rows]


def _pending_reports_of(d: sqlite_utils.Database, nodes: list[str]) -> list[CallRecord]:
    if not nodes:
        return []
    rows = d.execute(f"SELECT pending_report FROM calls WHERE node IN ({_marks(nodes)}) "
                     "AND pending_report IS NOT NULL ORDER BY created_at", nodes).fetchall()
    return [CallRecord.from_json(row[0]) for row in rows]
