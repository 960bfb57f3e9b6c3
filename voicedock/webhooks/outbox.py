"""The transactional outbox: webhook events as rows, written in the caller's own transaction.

``enqueue`` runs inside ``db.write(fn)`` next to the state change that causes the event, so an
event exists if and only if that change committed. The worker then reads due rows and records
each attempt here; the API lists and re-queues rows through the same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..ids import new_id
from ..store.errors import Conflict, NotFound
from ..timeutil import iso, utcnow
from .backoff import Decision, DeliveryStatus
from .deliveries import get_delivery, list_deliveries
from .payloads import dumps
from .routing import redact_url, targets
from .sql import DbLike, cursor
from .transport import AttemptResult

log = logging.getLogger("voicedock.webhooks")

__all__ = ["enqueue", "enqueue_mail", "list_deliveries", "requeue"]

OUTBOX = "outbox"
REQUEST = "request"
NOTIFICATION_EMAIL = "notification-email"


def _now(now: datetime | None) -> str:
    return iso(now or utcnow())


def is_disabled(db: DbLike, assistant_id: str | None, url: str) -> bool:
    row = (
        cursor(db)
        .execute(
            "SELECT 1 FROM webhook_disabled_endpoints WHERE assistant_id = ? AND url = ?", (assistant_id or "", url)
        )
        .fetchone()
    )
    return row is not None


def _secret_enc(db: DbLike, assistant_id: str | None) -> str | None:
    if not assistant_id:
        return None
    row = cursor(db).execute("SELECT webhook_secret_enc FROM assistants WHERE id = ?", (assistant_id,)).fetchone()
    return row["webhook_secret_enc"] if row else None


def _insert_event(
    db: DbLike,
    *,
    event_id: str,
    event_type: str,
    call_id: str | None,
    assistant_id: str | None,
    url: str,
    body: str,
    status: str,
    mode: str,
    secret_enc: str | None,
    attempts: int,
    next_attempt_at: str | None,
    now: str,
    last_status_code: int | None = None,
    last_error: str | None = None,
) -> None:
    cursor(db).execute(
        "INSERT INTO webhook_events (id, event_type, call_id, assistant_id, url, payload, status, attempts,"
        " next_attempt_at, last_status_code, last_error, created_at, updated_at, secret_enc, mode, attempt_base)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (
            event_id,
            event_type,
            call_id,
            assistant_id,
            url,
            body,
            status,
            attempts,
            next_attempt_at,
            last_status_code,
            last_error,
            now,
            now,
            secret_enc,
            mode,
        ),
    )


def enqueue(
    db: DbLike,
    *,
    event_type: str,
    assistant_config: Mapping[str, Any],
    assistant_id: str | None,
    call_id: str | None,
    payload: Mapping[str, Any],
    now: datetime | None = None,
) -> list[str]:
    """Add the event to the outbox inside the caller's transaction; returns the new event ids.

    Nothing is added when the assistant does not subscribe to ``event_type``, has no URL for it,
    or the endpoint was disabled by a 410. Call ``DeliveryWorker.poke()`` after the commit.
    """
    stamp = _now(now)
    secret_enc = _secret_enc(db, assistant_id)
    ids: list[str] = []
    for url, body in targets(event_type, assistant_config, payload):
        if is_disabled(db, assistant_id, url):
            continue
        event_id = new_id("delivery")
        _insert_event(
            db,
            event_id=event_id,
            event_type=event_type,
            call_id=call_id,
            assistant_id=assistant_id,
            url=url,
            body=dumps(body),
            status=DeliveryStatus.PENDING,
            mode=OUTBOX,
            secret_enc=secret_enc,
            attempts=0,
            next_attempt_at=stamp,
            now=stamp,
        )
        ids.append(event_id)
    return ids


def enqueue_mail(
    db: DbLike, *, to: str, assistant_id: str | None, call_id: str | None, payload: Mapping[str, Any],
    now: datetime | None = None,
) -> str:
    """The end-of-call summary for ``to`` as an outbox row (URL ``mailto:``), retried like a webhook."""
    stamp = _now(now)
    event_id = new_id("delivery")
    _insert_event(
        db, event_id=event_id, event_type=NOTIFICATION_EMAIL, call_id=call_id, assistant_id=assistant_id,
        url=f"mailto:{to}", body=dumps(payload), status=DeliveryStatus.PENDING, mode=OUTBOX, secret_enc=None,
        attempts=0, next_attempt_at=stamp, now=stamp,
    )
    return event_id


def requeue(db: DbLike, event_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Manual retry: due now with a fresh backoff schedule, re-enabling an endpoint a 410 disabled.

    Returns the delivery as ``list_deliveries`` shows it. Raises ``NotFound`` for an unknown id and
    ``Conflict`` for a request-response call, whose caller stopped waiting long ago.
    """
    cur = cursor(db)
    row = cur.execute("SELECT assistant_id, url, mode FROM webhook_events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        raise NotFound("webhook delivery", event_id)
    if row["mode"] != OUTBOX:
        raise Conflict("Request-response webhooks (assistant-request, tool-calls) cannot be retried", "id")
    stamp = _now(now)
    cur.execute(
        "UPDATE webhook_events SET status = ?, next_attempt_at = ?, attempt_base = attempts, updated_at = ?"
        " WHERE id = ?",
        (DeliveryStatus.PENDING, stamp, stamp, event_id),
    )
    cur.execute(
        "DELETE FROM webhook_disabled_endpoints WHERE assistant_id = ? AND url = ?",
        (row["assistant_id"] or "", row["url"]),
    )
    delivery = get_delivery(db, event_id)
    assert delivery is not None
    return delivery


@dataclass(frozen=True)
class DueEvent:
    id: str
    event_type: str
    call_id: str | None
    assistant_id: str | None
    url: str
    payload: str
    attempts: int
    attempt_base: int
    secret_enc: str | None

    @property
    def round_attempt(self) -> int:
        """Number of the attempt about to be made, counted since the last manual retry."""
        return self.attempts - self.attempt_base + 1


def fetch_due(
    db: DbLike, *, now: datetime, limit: int, exclude_ids: Sequence[str] = (), exclude_urls: Sequence[str] = ()
) -> list[DueEvent]:
    """Oldest due outbox events, skipping ones already in flight and endpoints at their cap."""
    sql, params = _due_query(now=now, limit=limit, exclude_ids=exclude_ids, exclude_urls=exclude_urls)
    return [DueEvent(**dict(row)) for row in cursor(db).execute(sql, params)]


def claim_due(
    db: DbLike, *, now: datetime, limit: int, lease: float, exclude_ids: Sequence[str] = (),
    exclude_urls: Sequence[str] = (),
) -> list[DueEvent]:
    """`fetch_due` for several processes sharing a PostgreSQL store; run inside ``db.write``.

    The rows are locked as they are read (``FOR UPDATE SKIP LOCKED``: a row another node is claiming
    is passed over, not waited for) and stay claimed after the commit by moving their next attempt
    `lease` seconds on, so no other node sends them meanwhile. `record_attempts` then sets the real
    next attempt; a node that dies with events in flight leaves them due again when the lease ends.
    """
    sql, params = _due_query(now=now, limit=limit, exclude_ids=exclude_ids, exclude_urls=exclude_urls)
    cur = cursor(db)
    due = [DueEvent(**dict(row)) for row in cur.execute(sql + " FOR UPDATE OF e SKIP LOCKED", params)]
    if due:
        until = iso(now + timedelta(seconds=lease))
        cur.execute(f"UPDATE webhook_events SET next_attempt_at = ? WHERE id IN ({','.join('?' * len(due))})",
                    [until, *(ev.id for ev in due)])
    return due


def release_claims(db: DbLike, event_ids: Sequence[str], now: datetime) -> None:
    """Claimed events this node will not send now (their endpoint's slots filled up): due again at once."""
    if event_ids:
        cursor(db).execute(
            f"UPDATE webhook_events SET next_attempt_at = ? WHERE status = ? AND id IN ({','.join('?' * len(event_ids))})",
            [iso(now), DeliveryStatus.PENDING, *event_ids])


def _due_query(
    *, now: datetime, limit: int, exclude_ids: Sequence[str], exclude_urls: Sequence[str]
) -> tuple[str, list[Any]]:
    sql = [
        "SELECT e.id, e.event_type, e.call_id, e.assistant_id, e.url, e.payload, e.attempts, e.attempt_base,"
        " COALESCE(a.webhook_secret_enc, e.secret_enc) AS secret_enc"
        " FROM webhook_events e LEFT JOIN assistants a ON a.id = e.assistant_id"
        " WHERE e.status = ? AND e.next_attempt_at <= ? AND e.mode = ?"
    ]
    params: list[Any] = [DeliveryStatus.PENDING, iso(now), OUTBOX]
    if exclude_ids:
        sql.append(f" AND e.id NOT IN ({','.join('?' * len(exclude_ids))})")
        params.extend(exclude_ids)
    if exclude_urls:
        sql.append(f" AND e.url NOT IN ({','.join('?' * len(exclude_urls))})")
        params.extend(exclude_urls)
    sql.append(" ORDER BY e.next_attempt_at LIMIT ?")
    params.append(limit)
    return "".join(sql), params


@dataclass(frozen=True)
class AttemptRecord:
    event: DueEvent
    result: AttemptResult
    decision: Decision


def _insert_attempt(db: DbLike, event_id: str, result: AttemptResult) -> None:
    cursor(db).execute(
        "INSERT INTO webhook_attempts (id, event_id, attempted_at, url, status_code, latency_ms,"
        " response_snippet, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new_id("event"),
            event_id,
            result.attempted_at,
            result.url,
            result.status_code,
            result.latency_ms,
            result.response_snippet,
            result.error,
        ),
    )


def disable_endpoint(
    db: DbLike, *, assistant_id: str | None, url: str, event_id: str, status_code: int, now: str
) -> None:
    """410 Gone: stop sending to this endpoint for this assistant, durably, and park its queue."""
    cur = cursor(db)
    cur.execute(
        "INSERT INTO webhook_disabled_endpoints (assistant_id, url, status_code, event_id, disabled_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (assistant_id, url) DO UPDATE SET status_code = excluded.status_code,"
        " event_id = excluded.event_id, disabled_at = excluded.disabled_at",
        (assistant_id or "", url, status_code, event_id, now),
    )
    cur.execute(
        "UPDATE webhook_events SET status = ?, next_attempt_at = NULL, updated_at = ?"
        " WHERE status = ? AND mode = ? AND url = ? AND COALESCE(assistant_id, '') = ?",
        (DeliveryStatus.DISABLED, now, DeliveryStatus.PENDING, OUTBOX, url, assistant_id or ""),
    )
    log.warning(
        "webhook endpoint disabled after 410 Gone",
        extra={"assistant_id": assistant_id, "url": redact_url(url), "event_id": event_id},
    )


def record_attempts(db: DbLike, records: Sequence[AttemptRecord], now: datetime | None = None) -> None:
    """Store a batch of finished attempts and each event's next state, in one transaction."""
    moment = now or utcnow()
    stamp = iso(moment)
    cur = cursor(db)
    for rec in records:
        ev, result, decision = rec.event, rec.result, rec.decision
        status, next_at = decision.status, None
        if status is DeliveryStatus.PENDING:
            if is_disabled(db, ev.assistant_id, ev.url):
                status = DeliveryStatus.DISABLED
            else:
                next_at = iso(moment + timedelta(seconds=decision.delay or 0.0))
        cur.execute(
            "UPDATE webhook_events SET status = ?, attempts = attempts + 1, next_attempt_at = ?,"
            " last_status_code = ?, last_error = ?, updated_at = ? WHERE id = ?",
            (status, next_at, result.status_code, result.error, stamp, ev.id),
        )
        if cur.rowcount == 0:
            continue  # the event was deleted while in flight; nothing left to log against
        _insert_attempt(db, ev.id, result)
        if status is DeliveryStatus.DISABLED and result.status_code == 410:
            disable_endpoint(db, assistant_id=ev.assistant_id, url=ev.url, event_id=ev.id, status_code=410, now=stamp)


def log_request(
    db: DbLike,
    *,
    event_id: str,
    event_type: str,
    call_id: str | None,
    assistant_id: str | None,
    url: str,
    body: str,
    result: AttemptResult,
    status: DeliveryStatus,
) -> None:
    """Delivery-log entry for a request-response call (assistant-request, tool-calls): one attempt, never retried."""
    stamp = result.attempted_at
    _insert_event(
        db,
        event_id=event_id,
        event_type=event_type,
        call_id=call_id,
        assistant_id=assistant_id,
        url=url,
        body=body,
        status=status,
        mode=REQUEST,
        secret_enc=None,
        attempts=1,
        next_attempt_at=None,
        now=stamp,
        last_status_code=result.status_code,
        last_error=result.error,
    )
    _insert_attempt(db, event_id, result)
    if status is DeliveryStatus.DISABLED:
        disable_endpoint(db, assistant_id=assistant_id, url=url, event_id=event_id, status_code=410, now=stamp)


def request_context(db: DbLike, assistant_id: str | None, urls: Sequence[str]) -> tuple[str | None, set[str]]:
    """(encrypted secret, disabled urls) for a request-response call."""
    return _secret_enc(db, assistant_id), {u for u in urls if is_disabled(db, assistant_id, u)}
