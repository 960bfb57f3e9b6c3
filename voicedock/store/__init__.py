"""Durable state: one SQLite database (WAL) with a single writer thread and a small reader pool, or,
for several nodes sharing one store, the same API over PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from .db import Database


def open_database(database_url: str | None, path: Path) -> Database:
    """PostgreSQL when a URL is given (`VOICEDOCK_DATABASE_URL`), else the SQLite file at `path`."""
    if database_url:
        from .postgres import PostgresDatabase  # psycopg is loaded only by a node that uses it

        return PostgresDatabase(database_url)
    return Database(path)


__all__ = ["Database", "open_database"]
