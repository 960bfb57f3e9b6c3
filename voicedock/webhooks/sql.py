"""The one way webhook code reaches the store: a plain SQLite connection or a store database.

Outbox functions run inside a caller's ``db.write(fn)`` transaction, so they take whatever that
callable was given and never open, commit or roll back anything themselves. On PostgreSQL the
database is the store's adapter (`voicedock.store.pg_adapter`), whose cursors take the same SQL.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

DbLike = sqlite3.Connection | sqlite_utils.Database


def is_postgres(db: DbLike) -> bool:
    return getattr(db, "dialect", "sqlite") == "postgresql"


def cursor(db: DbLike) -> sqlite3.Cursor:
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    cur = conn.cursor()
    if is_postgres(db):
        return cur  # the adapter's rows are read by name and position, as sqlite3.Row
    cur.row_factory = sqlite3.Row
    return cur
