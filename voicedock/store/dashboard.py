"""Dashboard sign-in: one-time login links and browser sessions.

Only SHA-256 hashes of link tokens and session cookies are stored, so a copy of the database (a
backup, a stolen file) cannot sign anyone in. Times are Unix seconds passed in by the caller, which
keeps expiry testable without waiting.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlite_utils

from ..ids import new_id

LINK_SECONDS = 600.0  # a login link works for 10 minutes, once
SESSION_IDLE_SECONDS = 12 * 3600.0  # a session unused this long is over
SESSION_MAX_SECONDS = 7 * 86400.0  # and none outlives a week, however busy
LINKS_KEPT_SECONDS = 86400.0  # used or expired links are pruned after a day


def new_token() -> str:
    """A secret for a login link or a session cookie: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_login_link(db: sqlite_utils.Database, token_hash: str, now: float) -> None:
    db.execute("DELETE FROM dashboard_links WHERE expires_at < ?", [now - LINKS_KEPT_SECONDS])
    db.table("dashboard_links").insert(
        {"token_hash": token_hash, "created_at": now, "expires_at": now + LINK_SECONDS, "used_at": None})


def redeem_login_link(db: sqlite_utils.Database, token_hash: str, now: float) -> bool:
    """Mark the link used; True only the first time, within its 10 minutes (one UPDATE: two tabs
    opening the same link cannot both win)."""
    cur = db.execute("UPDATE dashboard_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
                     "AND expires_at > ?", [now, token_hash, now])
    return cur.rowcount == 1


def create_session(db: sqlite_utils.Database, token_hash: str, role: str, key_id: str | None,
                   now: float) -> str:
    ident = new_id("session")
    db.table("dashboard_sessions").insert(
        {"id": ident, "token_hash": token_hash, "role": role, "key_id": key_id, "created_at": now,
         "last_seen_at": now, "revoked_at": None})
    return ident


def find_session(db: sqlite_utils.Database, token_hash: str, now: float) -> dict[str, Any] | None:
    """The live session with this cookie hash: not revoked, not idle too long, not too old, and its
    API key (for a session signed in with one) not revoked since."""
    rows = list(db.query(
        "SELECT s.id, s.role, s.key_id, s.last_seen_at FROM dashboard_sessions s "
        "LEFT JOIN api_keys k ON k.id = s.key_id "
        "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND k.revoked_at IS NULL "
        "AND s.last_seen_at > ? AND s.created_at > ?",
        [token_hash, now - SESSION_IDLE_SECONDS, now - SESSION_MAX_SECONDS]))
    return rows[0] if rows else None


def touch_session(db: sqlite_utils.Database, ident: str, now: float) -> None:
    db.execute("UPDATE dashboard_sessions SET last_seen_at = ? WHERE id = ?", [now, ident])


def revoke_session(db: sqlite_utils.Database, ident: str, now: float) -> None:
    db.execute("UPDATE dashboard_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, ident])
