"""Row-per-resource tables: API keys, numbers, SIP trunks, BYOK keys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from ..ids import new_id
from ..secrets import SecretBox, display_prefix, hash_api_key
from ..timeutil import now_iso
from .errors import Conflict, InvalidReference, LimitReached, NotFound


def _one(db: sqlite_utils.Database, table: str, kind: str, ident: str) -> dict[str, Any]:
    rows = list(db.query(f"SELECT * FROM [{table}] WHERE id = ?", [ident]))
    if not rows:
        raise NotFound(kind, ident)
    return rows[0]


def _page(db: sqlite_utils.Database, table: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows = list(db.query(f"SELECT * FROM [{table}] ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", [limit, offset]))
    total = db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    return rows, total


# -- API keys ----------------------------------------------------------------------------------
# Each kind a client can create without bound, with the rows that count towards its cap.
CAPPED = {"api keys": ("api_keys", "revoked_at IS NULL"), "assistants": ("assistants", "1 = 1"),
          "SIP trunks": ("sip_trunks", "1 = 1"), "phone numbers": ("numbers", "1 = 1"),
          "tool templates": ("tool_templates", "1 = 1"), "analysis templates": ("analysis_templates", "1 = 1")}


def ensure_room(db: sqlite_utils.Database, kind: str, limit: int) -> None:
    """Raise `LimitReached` when `kind` (a key of `CAPPED`) already has `limit` rows; call inside the
    creating transaction so concurrent creates cannot overshoot."""
    table, where = CAPPED[kind]
    if db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0] >= limit:
        raise LimitReached(kind, limit)


def key_out(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "name", "role", "prefix", "created_at", "revoked_at", "last_used_at")}


def create_api_key(db: sqlite_utils.Database, name: str, key: str, role: str = "admin") -> dict[str, Any]:
    row = {"id": new_id("api_key"), "name": name, "role": role, "prefix": display_prefix(key),
           "key_hash": hash_api_key(key), "created_at": now_iso(), "revoked_at": None, "last_used_at": None}
    db.table("api_keys").insert(row)
    return key_out(row)


def find_api_key(db: sqlite_utils.Database, key_hash: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT id, role, revoked_at FROM api_keys WHERE key_hash = ?", [key_hash]))
    return rows[0] if rows else None


def list_api_keys(db: sqlite_utils.Database, limit: int = 500, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    rows, total = _page(db, "api_keys", limit, offset)
    return [key_out(r) for r in rows], total


def revoke_api_key(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    row = _one(db, "api_keys", "API key", ident)
    if row["revoked_at"] is None:
        row["revoked_at"] = now_iso()
        db.table("api_keys").update(ident, {"revoked_at": row["revoked_at"]})
    return key_out(row)


def touch_api_key(db: sqlite_utils.Database, ident: str) -> None:
    db.table("api_keys").update(ident, {"last_used_at": now_iso()})


# -- numbers -----------------------------------------------------------------------------------
NUMBER_FIELDS = ("id", "phone_number", "name", "assistant_id", "sip_trunk_id", "created_at", "updated_at")


REFERENCES = {"assistant_id": ("assistants", "assistant"), "sip_trunk_id": ("sip_trunks", "SIP trunk"),
              "phone_number_id": ("numbers", "phone number")}


def check_references(db: sqlite_utils.Database, fields: Mapping[str, Any]) -> None:
    """Every `*_id` field given must name an existing row (else 422 naming the field)."""
    for field, (table, kind) in REFERENCES.items():
        ident = fields.get(field)
        if ident is not None and db.conn.execute(f"SELECT 1 FROM [{table}] WHERE id = ?", [ident]).fetchone() is None:
            raise InvalidReference(f"No {kind} with id {ident!r}", field)


def create_number(db: sqlite_utils.Database, fields: dict[str, Any]) -> dict[str, Any]:
    check_references(db, fields)
    if list(db.query("SELECT 1 FROM numbers WHERE phone_number = ?", [fields["phone_number"]])):
        raise Conflict(f"Number {fields['phone_number']} is already registered", "phone_number")
    now = now_iso()
    row = {"id": new_id("number"), "name": None, "assistant_id": None, "sip_trunk_id": None,
           **fields, "created_at": now, "updated_at": now}
    db.table("numbers").insert(row)
    return {k: row[k] for k in NUMBER_FIELDS}


def get_number(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    return {k: v for k, v in _one(db, "numbers", "number", ident).items() if k in NUMBER_FIELDS}


def number_by_phone(db: sqlite_utils.Database, phone: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM numbers WHERE phone_number = ?", [phone]))
    return rows[0] if rows else None


def list_numbers(db: sqlite_utils.Database, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows, total = _page(db, "numbers", limit, offset)
    return [{k: r[k] for k in NUMBER_FIELDS} for r in rows], total


def update_number(db: sqlite_utils.Database, ident: str, fields: dict[str, Any]) -> dict[str, Any]:
    row = get_number(db, ident)
    check_references(db, fields)
    row.update(fields, updated_at=now_iso())
    db.table("numbers").update(ident, {k: row[k] for k in NUMBER_FIELDS if k != "id"})
    return row


def delete_number(db: sqlite_utils.Database, ident: str) -> None:
    get_number(db, ident)
    db.table("numbers").delete(ident)


def numbers_using(db: sqlite_utils.Database, column: str, ident: str) -> list[str]:
    return [r["phone_number"] for r in db.query(f"SELECT phone_number FROM numbers WHERE {column} = ?", [ident])]


# -- SIP trunks --------------------------------------------------------------------------------
def trunk_out(row: dict[str, Any], registration: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = json.loads(row["config"])
    return {"id": row["id"], **cfg, "password_set": bool(row["password_enc"]),
            "registration": registration or {"status": "unknown"},
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def create_trunk(db: sqlite_utils.Database, box: SecretBox, fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    password = fields.pop("password", None)
    now = now_iso()
    row = {"id": new_id("trunk"), "name": fields["name"], "config": json.dumps(fields),
           "password_enc": box.encrypt(password) if password else None, "created_at": now, "updated_at": now}
    db.table("sip_trunks").insert(row)
    return row


def trunk_row(db: sqlite_utils.Database, ident: str) -> dict[str, Any]:
    return _one(db, "sip_trunks", "SIP trunk", ident)


def list_trunks(db: sqlite_utils.Database, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return _page(db, "sip_trunks", limit, offset)


def update_trunk(db: sqlite_utils.Database, box: SecretBox, ident: str, fields: dict[str, Any]) -> dict[str, Any]:
    row = trunk_row(db, ident)
    fields = dict(fields)
    changes: dict[str, Any] = {"updated_at": now_iso()}
    if "password" in fields:
        password = fields.pop("password")
        changes["password_enc"] = box.encrypt(password) if password else None
    cfg = {**json.loads(row["config"]), **fields}
    changes.update(config=json.dumps(cfg), name=cfg["name"])
    db.table("sip_trunks").update(ident, changes)
    return {**row, **changes}


def delete_trunk(db: sqlite_utils.Database, ident: str) -> None:
    trunk_row(db, ident)
    used = numbers_using(db, "sip_trunk_id", ident)
    if used:
        raise Conflict(f"SIP trunk is used by numbers {', '.join(used)}; move them first", "id")
    db.table("sip_trunks").delete(ident)


# -- BYOK --------------------------------------------------------------------------------------
def set_byok(db: sqlite_utils.Database, box: SecretBox, provider: str, api_key: str, base_url: str | None) -> None:
    now = now_iso()
    db.table("byok_keys").upsert(
        {"provider": provider, "api_key_enc": box.encrypt(api_key), "last4": api_key[-4:], "base_url": base_url,
         "created_at": now, "updated_at": now},
        pk="provider",
    )


def list_byok(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    return {r["provider"]: {"configured": True, "last4": r["last4"], "base_url": r["base_url"]}
            for r in db.query("SELECT provider, last4, base_url FROM byok_keys")}


def delete_byok(db: sqlite_utils.Database, provider: str) -> None:
    if not list(db.query("SELECT 1 FROM byok_keys WHERE provider = ?", [provider])):
        raise NotFound("BYOK key for provider", provider)
    db.table("byok_keys").delete(provider)


def byok_secret(db: sqlite_utils.Database, box: SecretBox, provider: str) -> str | None:
    rows = list(db.query("SELECT api_key_enc FROM byok_keys WHERE provider = ?", [provider]))
    return box.decrypt(rows[0]["api_key_enc"]) if rows else None


def byok_entry(db: sqlite_utils.Database, box: SecretBox, provider: str) -> tuple[str, str | None] | None:
    """(key, base_url) of a provider: a remote engine needs both, read together."""
    rows = list(db.query("SELECT api_key_enc, base_url FROM byok_keys WHERE provider = ?", [provider]))
    return (box.decrypt(rows[0]["api_key_enc"]), rows[0]["base_url"]) if rows else None
