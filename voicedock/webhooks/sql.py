"""The one way webhook code reaches SQLite: a plain connection or a sqlite-utils database.

Outbox functions run inside a caller's ``db.write(fn)`` transaction, so they take whatever that
callable was given and never open, commit or roll back anything themselves.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

DbLike = sqlite3.Connection | sqlite_utils.Database


def cursor(db: DbLike) -> sqlite3.Cursor:
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return cur
