"""What `voicedock db migrate --dry-run` shows: the migrations a database would get and the schema
statements they would add or change.

The migrations run for real on an in-memory copy (SQLite's online backup of a read-only
connection), so the preview is exactly what `migrate` would do, and the database file, its WAL
and its schema version are never written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from .migrations import migrate, pending


@dataclass(frozen=True)
class Preview:
    pending: list[tuple[int, str]]  # (number, name) in the order they would run
    added: list[str]  # schema statements (tables, indexes) the migrations would create
    changed: list[str]  # schema statements as they would read afterwards
    removed: list[str]


def _schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != '_migrations'")
    return {(kind, name): sql for kind, name, sql in rows}


def preview(path: Path) -> Preview:
    """Migrate a copy of the database at `path` (or an empty one when there is none yet) in memory."""
    copy = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if path.exists():
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                source.backup(copy)
            finally:
                source.close()
        todo = pending(copy)
        before = _schema(copy)
        migrate(sqlite_utils.Database(copy))
        after = _schema(copy)
    finally:
        copy.close()
    return Preview(
        pending=todo,
        added=[sql for key, sql in after.items() if key not in before],
        changed=[sql for key, sql in after.items() if key in before and before[key] != sql],
        removed=[sql for key, sql in before.items() if key not in after],
    )
