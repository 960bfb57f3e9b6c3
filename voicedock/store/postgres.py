"""The PostgreSQL store: the same API as the SQLite `Database`, for several nodes sharing one database.

Writes still go through one thread per process (each `write()` callable one transaction, as on
SQLite); reads run on the pool, each thread with its own connection. Nothing runs on the event
loop's thread: a round trip to a database server is not the tens of microseconds of a SQLite read,
so `read_bounded` goes through the pool too. A connection the server dropped (a restart, a
failover behind PgBouncer) is replaced on its next use: a read, or a write whose BEGIN found it gone,
runs once more on the new one; a write that was under way fails as a whole, and is not repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import psycopg
import sqlite_utils

from .db import Database, _Closable
from .pg_adapter import POSTGRESQL, PgDb, connect

T = TypeVar("T")


class PostgresDatabase(Database):
    dialect = POSTGRESQL
    _BEGIN = "BEGIN"

    def __init__(self, url: str, readers: int = 4) -> None:
        self.url = url  # holds the password: never logged (see `config.redact_database_url`)
        self._start_pools(readers, "vd-postgres")

    def _open(self, read_only: bool) -> tuple[sqlite_utils.Database, _Closable]:
        # No session settings (not even read-only readers): behind PgBouncer they would leak to
        # whichever client gets the server connection next.
        db = PgDb(connect(self.url))
        return cast(sqlite_utils.Database, db), db  # the subset of sqlite-utils the store uses

    def _usable(self, db: sqlite_utils.Database) -> bool:
        return not cast(PgDb, db).conn.closed

    def _begin(self) -> sqlite_utils.Database:
        try:
            return super()._begin()
        except psycopg.OperationalError:
            if self._write_db is not None and self._usable(self._write_db):
                raise
            return super()._begin()  # dropped while idle; nothing of the write ran yet, so once more

    def _run_read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        try:
            return super()._run_read(fn)
        except psycopg.OperationalError:
            db = getattr(self._local, "db", None)
            if db is None or self._usable(db):
                raise
            return super()._run_read(fn)  # a read changes nothing: once more, on a new connection

    def read_inline(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """For tools without an event loop: on PostgreSQL every read goes to the pool."""
        return self.read_sync(fn)

    async def read_bounded(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await self.read(fn)
