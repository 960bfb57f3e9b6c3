"""Numbered schema migrations, applied in order at start-up and recorded in `_migrations`.

A migration is append-only: once released it is never edited; a change is a new number.
Migrations only go forward: there are no down-migrations, so a database that a newer VoiceDock
has migrated is refused (`DatabaseTooNew`) rather than read with a schema this code does not know.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable

import sqlite_utils

from ..timeutil import now_iso

Migration = Callable[[sqlite_utils.Database], None]


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.table("account").create(
        {"id": str, "company_name": str, "created_at": str}, pk="id"
    )
    db.table("account").insert({"id": "acct_" + secrets.token_hex(8), "company_name": "VoiceDock", "created_at": now_iso()})
    db.table("api_keys").create(
        {"id": str, "name": str, "prefix": str, "key_hash": str, "created_at": str,
         "revoked_at": str, "last_used_at": str},
        pk="id", not_null={"name", "prefix", "key_hash", "created_at"},
    )
    db.table("api_keys").create_index(["key_hash"], unique=True)
    db.table("assistants").create(
        {"id": str, "name": str, "is_active": int, "config": str, "webhook_secret_enc": str,
         "created_at": str, "updated_at": str},
        pk="id", not_null={"name", "is_active", "config", "created_at", "updated_at"},
    )
    db.table("sip_trunks").create(
        {"id": str, "name": str, "config": str, "password_enc": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"name", "config", "created_at", "updated_at"},
    )
    db.table("numbers").create(
        {"id": str, "phone_number": str, "name": str, "assistant_id": str, "sip_trunk_id": str,
         "created_at": str, "updated_at": str},
        pk="id", not_null={"phone_number", "created_at", "updated_at"},
        foreign_keys=[("assistant_id", "assistants", "id"), ("sip_trunk_id", "sip_trunks", "id")],
    )
    db.table("numbers").create_index(["phone_number"], unique=True)
    for table in ("tool_templates", "analysis_templates"):
        db.table(table).create(
            {"id": str, "name": str, "config": str, "created_at": str, "updated_at": str},
            pk="id", not_null={"name", "config", "created_at", "updated_at"},
        )
    db.table("calls").create(
        {"id": str, "type": str, "status": str, "ended_reason": str, "assistant_id": str,
         "phone_number_id": str, "caller_phone": str, "agent_phone": str, "started_at": str,
         "ended_at": str, "duration_seconds": float, "cost": float, "data": str,
         "created_at": str, "updated_at": str},
        pk="id", not_null={"type", "status", "data", "created_at", "updated_at"},
    )
    db.table("calls").create_index(["created_at"])
    db.table("calls").create_index(["status"])
    db.table("calls").create_index(["assistant_id"])
    db.table("usage").create(
        {"id": str, "call_id": str, "number_id": str, "duration_sec": float, "cost": float, "created_at": str},
        pk="id", not_null={"call_id", "duration_sec", "cost", "created_at"},
    )
    db.table("usage").create_index(["created_at"])
    db.table("byok_keys").create(
        {"provider": str, "api_key_enc": str, "last4": str, "base_url": str, "created_at": str, "updated_at": str},
        pk="provider", not_null={"api_key_enc", "last4", "created_at", "updated_at"},
    )
    # Transactional outbox: one row per webhook event, written with the state change that causes it.
    db.table("webhook_events").create(
        {"id": str, "event_type": str, "call_id": str, "assistant_id": str, "url": str,
         "payload": str, "status": str, "attempts": int, "next_attempt_at": str,
         "last_status_code": int, "last_error": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"event_type", "url", "payload", "status", "attempts", "created_at", "updated_at"},
    )
    db.table("webhook_events").create_index(["status", "next_attempt_at"])
    db.table("webhook_events").create_index(["call_id"])
    db.table("webhook_attempts").create(
        {"id": str, "event_id": str, "attempted_at": str, "url": str, "status_code": int,
         "latency_ms": float, "response_snippet": str, "error": str},
        pk="id", not_null={"event_id", "attempted_at", "url"},
        foreign_keys=[("event_id", "webhook_events", "id")],
    )
    db.table("webhook_attempts").create_index(["event_id"])


def _m002_webhook_delivery(db: sqlite_utils.Database) -> None:
    # An endpoint that answered 410 Gone stays off for that assistant until a delivery to it is
    # retried by hand; the row outlives restarts so the worker never resumes sending on its own.
    db.table("webhook_disabled_endpoints").create(
        {"assistant_id": str, "url": str, "status_code": int, "event_id": str, "disabled_at": str},
        pk=("assistant_id", "url"), not_null={"assistant_id", "url", "disabled_at"},
    )
    conn = db.conn
    # Encrypted secret as it was at enqueue time: an event outliving its assistant can still be signed.
    conn.execute("ALTER TABLE webhook_events ADD COLUMN secret_enc TEXT")
    # 'outbox' rows are delivered by the worker; 'request' rows log request-response calls only.
    conn.execute("ALTER TABLE webhook_events ADD COLUMN mode TEXT NOT NULL DEFAULT 'outbox'")
    # Attempts made before the last manual retry, so a retried event gets a fresh backoff schedule.
    conn.execute("ALTER TABLE webhook_events ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0")


def _m003_listing_indexes(db: sqlite_utils.Database) -> None:
    """Lists are newest first; without these a page sorts the whole table."""
    for table in ("assistants", "tool_templates", "analysis_templates", "numbers", "sip_trunks", "api_keys"):
        db.table(table).create_index(["created_at"], if_not_exists=True)


def _m004_pending_reports(db: sqlite_utils.Database) -> None:
    """An ended call whose end-of-call-report waits for its analysis keeps what the report needs here,
    so a restart can finish the report instead of losing it."""
    db.table("calls").add_column("pending_report", str)


def _m005_live_records(db: sqlite_utils.Database) -> None:
    """A call not yet ended keeps what closing it needs (its channel, assistant, start) here, so the
    next process can close it, or pick its caller up again, after a crash."""
    db.table("calls").add_column("live_record", str)


def _m006_key_roles(db: sqlite_utils.Database) -> None:
    """A key is an admin key (everything) or a read key (GET only, for dashboards and monitoring)."""
    db.conn.execute("ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'")


def _m007_dashboard_sign_in(db: sqlite_utils.Database) -> None:
    """One-time dashboard login links and browser sessions, both kept only as hashes."""
    db.table("dashboard_links").create(
        {"token_hash": str, "created_at": float, "expires_at": float, "used_at": float},
        pk="token_hash", not_null={"created_at", "expires_at"},
    )
    db.table("dashboard_links").create_index(["expires_at"])
    db.table("dashboard_sessions").create(
        {"id": str, "token_hash": str, "role": str, "key_id": str, "created_at": float, "last_seen_at": float,
         "revoked_at": float},
        pk="id", not_null={"token_hash", "role", "created_at", "last_seen_at"},
    )
    db.table("dashboard_sessions").create_index(["token_hash"], unique=True)


def _m008_nodes(db: sqlite_utils.Database) -> None:
    """Several nodes share one store: each call names the node that carries it, and each running node
    keeps a heartbeat row, so the others can close its calls when it stops beating."""
    db.table("calls").add_column("node", str)
    db.table("calls").create_index(["node", "status"])
    db.table("nodes").create(
        {"id": str, "status": str, "active_calls": int, "capacity": int, "started_at": str, "heartbeat_at": str},
        pk="id", not_null={"status", "active_calls", "capacity", "started_at", "heartbeat_at"},
    )


def _m009_node_urls(db: sqlite_utils.Database) -> None:
    """A node's heartbeat says where its API is, so a control command sent to another node reaches it."""
    db.table("nodes").add_column("url", str)


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "initial schema", _m001_initial),
    (2, "webhook delivery state", _m002_webhook_delivery),
    (3, "listing indexes", _m003_listing_indexes),
    (4, "pending end-of-call reports", _m004_pending_reports),
    (5, "live call records", _m005_live_records),
    (6, "API key roles", _m006_key_roles),
    (7, "dashboard sign-in", _m007_dashboard_sign_in),
    (8, "nodes", _m008_nodes),
    (9, "node URLs", _m009_node_urls),
]


LATEST = MIGRATIONS[-1][0]


class DatabaseTooNew(RuntimeError):
    """The database carries migrations this VoiceDock does not have: it was upgraded by a newer release."""

    def __init__(self, newest: int, unknown: list[int]) -> None:
        self.newest = newest
        self.unknown = unknown
        super().__init__(
            f"the database is at schema version {newest}, newer than this VoiceDock knows (up to {LATEST}); "
            f"migrations only go forward, so run the newer VoiceDock, or restore a backup taken before the upgrade")


def _is_postgres(conn: sqlite3.Connection) -> bool:
    return getattr(conn, "dialect", "sqlite") == "postgresql"


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    """Migration numbers recorded in the database (none for a new, empty one)."""
    exists = ("SELECT to_regclass('_migrations') IS NOT NULL" if _is_postgres(conn) else
              "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_migrations'")
    if not conn.execute(exists).fetchone()[0]:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM _migrations")}


def pending(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(number, name) of the migrations `migrate` would apply; raises `DatabaseTooNew` like it."""
    done = applied_versions(conn)
    check_not_newer(done)
    return [(version, name) for version, name, _ in MIGRATIONS if version not in done]


def check_not_newer(done: set[int]) -> None:
    unknown = sorted(done - {version for version, _, _ in MIGRATIONS})
    if unknown:
        raise DatabaseTooNew(max(done), unknown)


MIGRATION_LOCK = 0x766F6963  # PostgreSQL advisory lock key: one node migrates at a time


def _begin(conn: sqlite3.Connection) -> None:
    """Open a migration's transaction; on PostgreSQL also wait for any other node migrating (the
    lock is the transaction's, so it is PgBouncer-safe and released by COMMIT or ROLLBACK)."""
    conn.execute("BEGIN IMMEDIATE")
    if _is_postgres(conn):
        conn.execute("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK])


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply every migration newer than the database; return the numbers applied.

    Each migration is one transaction, recorded in `_migrations` in it; the applied versions are
    read again inside it, so nodes starting together each apply a migration at most once between them.
    """
    conn = db.conn
    check_not_newer(applied_versions(conn))
    _begin(conn)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.execute("COMMIT")
    applied = []
    for version, name, fn in MIGRATIONS:
        _begin(conn)
        try:
            if version not in {row[0] for row in conn.execute("SELECT version FROM _migrations")}:
                fn(db)
                conn.execute(
                    "INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)", (version, name, now_iso())
                )
                applied.append(version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return applied
