"""Store access that never blocks the event loop (SQLite here; PostgreSQL in `postgres.py`).

Every write goes through one thread holding the only writing connection, so writers never contend
for the lock and each `write()` callable runs inside one transaction. Reads run on a small pool of
threads, each with its own connection; WAL lets them proceed while a write is in progress.

`read_inline()` is for short, bounded reads on the hot path (a page of at most a few hundred rows,
a row by primary key). Under WAL a reader never waits for a writer, so such a read costs tens of
microseconds of CPU; running it on the loop's own thread avoids the hand-off to a pool thread,
whose GIL contention put 25-50 ms on the tail latency of every request. Anything unbounded (a
full scan, an export) still goes through `read()`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, TypeVar

import sqlite_utils

from ..private_files import PRIVATE_FILE, private_dir, private_file, restrict
from .migrations import migrate

T = TypeVar("T")


class _Closable(Protocol):
    def close(self) -> None: ...


def _connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Database:
    """The SQLite store (the embedded default); `PostgresDatabase` is the same API over PostgreSQL."""

    dialect = "sqlite"
    _BEGIN = "BEGIN IMMEDIATE"

    def __init__(self, path: Path | str, readers: int = 4) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        # SQLite gives new -wal and -shm files the database file's mode; older ones are narrowed here.
        private_file(self.path)
        for suffix in ("-wal", "-shm"):
            restrict(self.path.with_name(self.path.name + suffix), PRIVATE_FILE)
        self._start_pools(readers, "vd-sqlite")

    def _start_pools(self, readers: int, prefix: str) -> None:
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{prefix}-writer")
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix=f"{prefix}-reader")
        self._local = threading.local()
        self._write_db: sqlite_utils.Database | None = None
        self._inline_db: sqlite_utils.Database | None = None
        self._all_conns: list[_Closable] = []
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------
    def _open(self, read_only: bool) -> tuple[sqlite_utils.Database, _Closable]:
        """A new connection, as the store functions take it, and what closes it."""
        conn = _connect(self.path)
        if read_only:
            conn.execute("PRAGMA query_only=ON")
        return sqlite_utils.Database(conn), conn

    def _usable(self, db: sqlite_utils.Database) -> bool:
        """False for a connection that can no longer be used (a database server that went away)."""
        return True

    def _opened(self, read_only: bool) -> sqlite_utils.Database:
        db, closable = self._open(read_only)
        with self._lock:
            self._all_conns.append(closable)
        return db

    def _writer_db(self) -> sqlite_utils.Database:
        if self._write_db is None or not self._usable(self._write_db):
            self._write_db = self._opened(read_only=False)
        return self._write_db

    def _read_only_db(self) -> sqlite_utils.Database:
        return self._opened(read_only=True)

    def _reader_db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None or not self._usable(db):
            db = self._local.db = self._read_only_db()
        return db

    # -- sync API (writer thread / tools) ----------------------------------------------------
    def _begin(self) -> sqlite_utils.Database:
        """The writer's connection, in a new transaction."""
        db = self._writer_db()
        db.conn.execute(self._BEGIN)
        return db

    def _run_write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        db = self._begin()
        conn = db.conn
        try:
            result = fn(db)
        except BaseException:
            if self._usable(db):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _run_read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return fn(self._reader_db())

    def write_sync(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """For command-line tools with no event loop: same single writer, same transaction rules."""
        return self._writer.submit(self._run_write, fn).result()

    def read_sync(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return self._readers.submit(self._run_read, fn).result()

    # -- async API ---------------------------------------------------------------------------
    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await asyncio.wrap_future(self._writer.submit(self._run_write, fn))

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await asyncio.wrap_future(self._readers.submit(self._run_read, fn))

    def read_inline(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """A short, bounded read on the calling (event loop) thread; see the module docstring."""
        if self._inline_db is None:
            self._inline_db = self._read_only_db()
        return fn(self._inline_db)

    async def read_bounded(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """A short, bounded read, by the quickest way that never blocks the loop: inline on SQLite."""
        return self.read_inline(fn)

    def _migrate(self) -> list[int]:
        return migrate(self._writer_db())

    def migrate_sync(self) -> list[int]:
        return self._writer.submit(self._migrate).result()

    async def migrate(self) -> list[int]:
        return await asyncio.wrap_future(self._writer.submit(self._migrate))

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._all_conns:
                conn.close()
            self._all_conns.clear()
