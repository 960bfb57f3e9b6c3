"""Health, account, API keys, usage and the OpenAPI document."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from voicedock import __version__
from voicedock.schemas.account import AccountOut, ApiKeyCreate, ApiKeyEnvelope, ApiKeyList, HealthOut
from voicedock.schemas.base import PageQuery
from voicedock.schemas.calls import UsageOut, UsageQuery
from voicedock.secrets import generate_api_key
from voicedock.store import calls as store_calls
from voicedock.store import records
from voicedock.store.nodes import list_nodes
from voicedock.timeutil import iso, now_iso

from ..context import DB, DRAIN, KEYS, MODELS, OPENAPI, SETTINGS, TELEPHONY, create, read, reply, write
from ..spec import Operation


def _takes_calls(asterisk: dict[str, Any]) -> bool:
    """False while calls would be lost (ARI disconnected, or Asterisk missing): a load balancer must look
    elsewhere. A server run without telephony by choice (`disabled`) is healthy."""
    return asterisk.get("status") not in ("error", "unavailable")


async def health(request: web.Request) -> web.Response:
    started = time.perf_counter()
    nodes: list[dict[str, Any]] = []
    try:
        await request.app[DB].read(lambda d: d.execute("SELECT 1").fetchone())
        database = {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
        nodes = [node.to_dict() for node in await request.app[DB].read(list_nodes)]
    except Exception as err:  # noqa: BLE001 - a health check reports, it does not raise
        database = {"status": "error", "error": type(err).__name__}
    service = request.app.get(TELEPHONY)
    if service is not None:
        asterisk = service.health()
    elif request.app[SETTINGS].telephony:  # asked for, but Asterisk was not found at start
        asterisk = {"status": "unavailable"}
    else:
        asterisk = {"status": "disabled"}
    models = request.app[MODELS]
    healthy = database["status"] == "ok" and asterisk.get("status") in ("ok", "disabled")
    checks = {"database": database, "asterisk": asterisk, "models": models}
    drain = request.app[DRAIN]
    if drain.active:  # 503 so a load balancer sends new work to another node while live calls finish
        checks["drain"] = {"status": "draining", "seconds_left": round(drain.seconds_left(), 1)}
        return reply({"status": "draining", "timestamp": now_iso(), "version": __version__, "checks": checks,
                      "nodes": nodes}, status=503)
    return reply({"status": "ok" if healthy else "degraded", "timestamp": now_iso(), "version": __version__,
                  "checks": checks, "nodes": nodes}, status=200 if database["status"] == "ok" and _takes_calls(asterisk) else 503)


async def get_account(request: web.Request) -> web.Response:
    name = request.app[SETTINGS].company_name
    return reply(await read(request, lambda d: store_calls.account(d, name)))


async def list_api_keys(request: web.Request, query: PageQuery) -> web.Response:
    items, total = await read(request, lambda d: records.list_api_keys(d, query.limit, query.offset))
    return reply({"api_keys": items, "pagination": {"total": total, "limit": query.limit, "offset": query.offset}})


async def create_api_key(request: web.Request, body: ApiKeyCreate) -> web.Response:
    key = generate_api_key()
    row = await create(request, "api keys", lambda d: records.create_api_key(d, body.name, key, body.role))
    return reply({"api_key": {**row, "key": key}}, status=201)


async def revoke_api_key(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    row = await write(request, lambda d: records.revoke_api_key(d, ident))
    request.app[KEYS].revoked(ident)
    return reply({"api_key": row})


async def get_usage(request: web.Request, query: UsageQuery) -> web.Response:
    start = iso(query.start_date) if query.start_date else None
    end = iso(query.end_date) if query.end_date else None
    return reply(await read(request, lambda d: store_calls.usage(d, start, end)))


async def openapi_document(request: web.Request) -> web.Response:
    return reply(request.app[OPENAPI])


OPERATIONS = [
    Operation("GET", "/health", health, "Service health", "System", response=HealthOut, auth=False,
              errors=(503,)),
    Operation("GET", "/openapi.json", openapi_document, "This OpenAPI document", "System", auth=False),
    Operation("GET", "/account", get_account, "Account summary", "System", response=AccountOut),
    Operation("GET", "/api-keys", list_api_keys, "List API keys", "API keys", query=PageQuery,
              response=ApiKeyList),
    Operation("POST", "/api-keys", create_api_key, "Create an API key (shown once)", "API keys",
              body=ApiKeyCreate, response=ApiKeyEnvelope, status=201, errors=(403,)),
    Operation("DELETE", "/api-keys/{id}", revoke_api_key, "Revoke an API key", "API keys",
              response=ApiKeyEnvelope, errors=(404,)),
    Operation("GET", "/usage", get_usage, "Usage and cost", "Usage", query=UsageQuery, response=UsageOut),
]
