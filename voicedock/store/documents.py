"""Resources kept as a JSON document plus a few indexed columns (assistants, templates)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ..timeutil import now_iso
from .errors import NotFound


def _out(row: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(row["config"])
    return {"id": row["id"], **doc, "created_at": row["created_at"], "updated_at": row["updated_at"]}


def out_json(row: dict[str, Any]) -> str:
    """The same object as `_out`, spliced as text, so list pages are served without parsing documents."""
    inner = row["config"].strip()[1:-1].strip()
    head = f'{{"id": {json.dumps(row["id"])}'
    tail = f'"created_at": {json.dumps(row["created_at"])}, "updated_at": {json.dumps(row["updated_at"])}}}'
    return f"{head}, {inner}, {tail}" if inner else f"{head}, {tail}"


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: nested objects merge key by key; lists and scalars are replaced.

    An object whose `type` changes is replaced whole: fields of the old kind do not apply to the new one.
    """
    merged = dict(base)
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and value.get("type", old.get("type")) == old.get("type"):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class DocumentTable:
    def __init__(self, table: str, kind: str, extra_columns: tuple[str, ...] = ("name",)) -> None:
        self.table = table
        self.kind = kind
        self.extra_columns = extra_columns

    def _columns(self, doc: dict[str, Any]) -> dict[str, Any]:
        cols: dict[str, Any] = {}
        for col in self.extra_columns:
            value = doc.get(col)
            cols[col] = int(value) if isinstance(value, bool) else value
        return cols

    def insert(self, db: sqlite_utils.Database, ident: str, doc: dict[str, Any], **extra: Any) -> dict[str, Any]:
        now = now_iso()
        row = {"id": ident, "config": json.dumps(doc), "created_at": now, "updated_at": now,
               **self._columns(doc), **extra}
        db.table(self.table).insert(row)
        return _out(row)

    def row(self, db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
        row = db.conn.execute(f"SELECT * FROM [{self.table}] WHERE id = ?", [ident]).fetchone()
        if row is None:
            raise NotFound(self.kind, ident)
        return dict(row)

    def get(self, db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
        return _out(self.row(db, ident))

    def doc(self, db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.row(db, ident)["config"])
        return config

    def page_json(self, db: sqlite_utils.Database, limit: int, offset: int) -> tuple[list[str], int]:
        rows = db.conn.execute(
            f"SELECT id, config, created_at, updated_at FROM [{self.table}] ORDER BY created_at DESC, rowid DESC "
            "LIMIT ? OFFSET ?", [limit, offset]
        ).fetchall()
        items = [out_json(r) for r in rows]
        total = db.execute(f"SELECT count(*) FROM [{self.table}]").fetchone()[0]
        return items, total

    def update(self, db: sqlite_utils.Database, ident: str, patch: dict[str, Any], **extra: Any) -> dict[str, Any]:
        current = self.row(db, ident)
        doc = deep_merge(json.loads(current["config"]), patch)
        changes = {"config": json.dumps(doc), "updated_at": now_iso(), **self._columns(doc), **extra}
        db.table(self.table).update(ident, changes)
        return _out({**current, **changes})

    def delete(self, db: sqlite_utils.Database, ident: str) -> None:
        self.row(db, ident)
        db.table(self.table).delete(ident)


ASSISTANTS = DocumentTable("assistants", "assistant", ("name", "is_active"))
TOOL_TEMPLATES = DocumentTable("tool_templates", "tool template")
ANALYSIS_TEMPLATES = DocumentTable("analysis_templates", "analysis template")
