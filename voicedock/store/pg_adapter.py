"""The part of sqlite-utils' `Database` the store uses, over one psycopg 3 connection to PostgreSQL.

Store functions are written once, against sqlite-utils (`db.table(t).insert/update/delete/upsert`,
`db.query`, `db.execute`, `db.conn.execute`, `?` placeholders, rows read by name or by position).
`PgDb` answers the same calls on PostgreSQL, so those functions run unchanged on either backend.
SQL is translated on the way: `?` becomes `%s`, `[table]` becomes `"table"`, `rowid` (used only as a
tie-breaker of insertion order) becomes `ctid`, and `BEGIN IMMEDIATE` a plain `BEGIN`. What has no
such one-word translation (JSON functions, `INSERT OR REPLACE`) is written per dialect where it is used.

PgBouncer-safe: no server-side prepared statements (`prepare_threshold=None`) and no session state
(every transaction says what it needs; advisory locks are transaction-scoped).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import psycopg
from psycopg.rows import RowMaker

POSTGRESQL = "postgresql"
_BRACKETED = re.compile(r"\[(\w+)\]")
_ROWID = re.compile(r"\browid\b", re.IGNORECASE)
_BEGIN_IMMEDIATE = re.compile(r"^\s*BEGIN\s+IMMEDIATE\b", re.IGNORECASE)
_QUOTED = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")""")
_TYPES: dict[type, str] = {str: "TEXT", int: "BIGINT", float: "DOUBLE PRECISION", bytes: "BYTEA"}


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite's spelling of a statement, as PostgreSQL (with psycopg's `%s` placeholders) reads it.
    Quoted strings and names are kept as they are (only their `%` doubled, as psycopg wants)."""
    sql = _BEGIN_IMMEDIATE.sub("BEGIN", sql)
    pieces = _QUOTED.split(sql)
    for i, piece in enumerate(pieces):
        piece = piece.replace("%", "%%")
        if i % 2 == 0:  # outside quotes
            piece = _ROWID.sub("ctid", _BRACKETED.sub(r'"\1"', piece)).replace("?", "%s")
        pieces[i] = piece
    return "".join(pieces)


class Row(tuple[Any, ...]):
    """A result row read by position (`row[0]`) or by column name (`row["id"]`), like `sqlite3.Row`."""

    _index: Mapping[str, int]

    def __new__(cls, index: Mapping[str, int], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = [column.name for column in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}
    return lambda values: Row(index, values)


def connect(url: str) -> psycopg.Connection[Row]:
    """Autocommit (transactions are opened by `BEGIN`, as on SQLite); no prepared statements."""
    return psycopg.connect(url, autocommit=True, prepare_threshold=None, row_factory=_row_factory)


def _storable(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL, which SQLite stores; such text (a garbage webhook reply kept as
    its snippet, say) is stored with U+FFFD in its place instead of failing the whole transaction."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


class PgCursor:
    """A cursor taking SQLite-spelled statements; `execute` returns the cursor, as sqlite3's does."""

    row_factory: object = None  # set by callers that expect sqlite3; rows are always `Row` here

    def __init__(self, cursor: psycopg.Cursor[Row]) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        self._cursor.execute(translate(sql), [_storable(v) for v in params])
        return self

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """`db.conn` of a `PgDb`: `execute` and `cursor` as on a `sqlite3.Connection`."""

    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.raw = conn

    def cursor(self) -> PgCursor:
        return PgCursor(self.raw.cursor())

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    @property
    def closed(self) -> bool:
        return self.raw.closed or self.raw.broken

    def close(self) -> None:
        self.raw.close()


class PgTable:
    """`db.table(name)`: the writes and schema changes the store and its migrations make."""

    _primary_keys: ClassVar[dict[str, tuple[str, ...]]] = {}  # the schema is the same for every connection

    def __init__(self, db: PgDb, name: str) -> None:
        self.db = db
        self.name = name

    def _pk(self) -> tuple[str, ...]:
        if self.name not in self._primary_keys:
            rows = self.db.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)", [f'"{self.name}"']).fetchall()
            self._primary_keys[self.name] = tuple(r[0] for r in rows)
        return self._primary_keys[self.name]

    @property
    def count(self) -> int:
        return int(self.db.execute(f'SELECT count(*) FROM "{self.name}"').fetchone()[0])  # type: ignore[index]

    def insert(self, row: Mapping[str, Any]) -> PgTable:
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" * len(row))
        self.db.execute(f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})', list(row.values()))
        return self

    def upsert(self, row: Mapping[str, Any], pk: str | Sequence[str]) -> PgTable:
        keys = [pk] if isinstance(pk, str) else list(pk)
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" * len(row))
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c not in keys)
        conflict = ", ".join(f'"{k}"' for k in keys)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.db.execute(f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}',
                        list(row.values()))
        return self

    def _where_pk(self, pk_values: Any) -> tuple[str, list[Any]]:
        keys = self._pk()
        values = list(pk_values) if isinstance(pk_values, (list, tuple)) else [pk_values]
        return " AND ".join(f'"{k}" = ?' for k in keys), values

    def update(self, pk_values: Any, updates: Mapping[str, Any]) -> PgTable:
        if updates:
            where, values = self._where_pk(pk_values)
            sets = ", ".join(f'"{c}" = ?' for c in updates)
            self.db.execute(f'UPDATE "{self.name}" SET {sets} WHERE {where}', [*updates.values(), *values])
        return self

    def delete(self, pk_values: Any) -> PgTable:
        where, values = self._where_pk(pk_values)
        self.db.execute(f'DELETE FROM "{self.name}" WHERE {where}', values)
        return self

    def create(
        self, columns: Mapping[str, type], pk: str | Sequence[str] | None = None,
        not_null: Iterable[str] = (), foreign_keys: Iterable[tuple[str, str, str]] = (),
    ) -> PgTable:
        required = set(not_null)
        keys = [pk] if isinstance(pk, str) else list(pk or ())
        parts = [f'"{c}" {_TYPES[t]}{" NOT NULL" if c in required else ""}' for c, t in columns.items()]
        if keys:
            parts.append("PRIMARY KEY ({})".format(", ".join(f'"{k}"' for k in keys)))
        parts.extend(f'FOREIGN KEY ("{c}") REFERENCES "{t}" ("{o}")' for c, t, o in foreign_keys)
        self.db.execute(f'CREATE TABLE "{self.name}" ({", ".join(parts)})')
        return self

    def create_index(self, columns: Sequence[str], unique: bool = False, if_not_exists: bool = False) -> PgTable:
        name = f"idx_{self.name}_{'_'.join(columns)}"  # sqlite-utils' name, so both schemas read alike
        self.db.execute(f'CREATE {"UNIQUE " if unique else ""}INDEX {"IF NOT EXISTS " if if_not_exists else ""}'
                        f'"{name}" ON "{self.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)})')
        return self

    def add_column(self, name: str, col_type: type) -> PgTable:
        self.db.execute(f'ALTER TABLE "{self.name}" ADD COLUMN "{name}" {_TYPES[col_type]}')
        return self


class PgDb:
    """What store functions are handed on PostgreSQL in place of a `sqlite_utils.Database`."""

    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = PgConnection(conn)

    def table(self, name: str) -> PgTable:
        return PgTable(self, name)

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        for row in self.execute(sql, params).fetchall():
            yield dict(zip(row.keys(), row, strict=True))

    def close(self) -> None:
        self.conn.close()
