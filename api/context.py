"""Typed application keys and small helpers every handler uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import sqlite_utils
from aiohttp import web

from voicedock.config import Settings
from voicedock.conversation.warming import PromptWarmer
from voicedock.draining import Drain
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store.errors import StoreError
from voicedock.store.records import ensure_room
from voicedock.telephony import Telephony

from .auth import KeyCache
from .errors import ApiError, from_store_error
from .ratelimit import Decision, RateLimiter

T = TypeVar("T")

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
BOX = web.AppKey("box", SecretBox)
KEYS = web.AppKey("keys", KeyCache)
LIMITER = web.AppKey("limiter", RateLimiter)
CONTROL_LIMITER = web.AppKey("control_limiter", RateLimiter)
TELEPHONY = web.AppKey("telephony", Telephony)
OPENAPI = web.AppKey("openapi", dict)
MODELS = web.AppKey("models", dict)
DRAIN = web.AppKey("drain", Drain)
WARMER = web.AppKey("prompt_warmer", PromptWarmer)
RATE_DECISION = web.RequestKey("rate_decision", Decision)
API_KEY_ID = web.RequestKey("api_key_id", str)


async def read(request: web.Request, fn: Callable[[sqlite_utils.Database], T]) -> T:
    try:
        return await request.app[DB].read(fn)
    except StoreError as err:
        raise from_store_error(err) from None


async def read_now(request: web.Request, fn: Callable[[sqlite_utils.Database], T]) -> T:
    """A short, bounded read (a page, a row by id): on SQLite without leaving the event loop's thread."""
    try:
        return await request.app[DB].read_bounded(fn)
    except StoreError as err:
        raise from_store_error(err) from None


async def write(request: web.Request, fn: Callable[[sqlite_utils.Database], T]) -> T:
    try:
        return await request.app[DB].write(fn)
    except StoreError as err:
        raise from_store_error(err) from None


async def create(request: web.Request, kind: str, fn: Callable[[sqlite_utils.Database], T]) -> T:
    """A write that adds one `kind` of record (see `records.CAPPED`), refused with 403 `limit_reached`
    once the server holds `max_records` of them."""
    limit = request.app[SETTINGS].max_records

    def capped(db: sqlite_utils.Database) -> T:
        ensure_room(db, kind, limit)
        return fn(db)

    return await write(request, capped)


def reply(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def reply_page(name: str, items_json: list[str], limit: int, offset: int, total: int) -> web.Response:
    """A list page from objects already serialised as JSON text."""
    pagination = json.dumps({"total": total, "limit": limit, "offset": offset})
    body = f'{{"{name}": [{", ".join(items_json)}], "pagination": {pagination}}}'
    return web.Response(text=body, content_type="application/json")


def telephony(request: web.Request) -> Any:
    service = request.app.get(TELEPHONY)
    if service is None:
        raise ApiError(503, "telephony_unavailable",
                       "Telephony is not running on this server (started with --no-telephony or not configured)")
    return service


def rate_decision(request: web.Request) -> Decision | None:
    return request.get(RATE_DECISION)
