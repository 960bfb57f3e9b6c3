"""Phone numbers and SIP trunks; a change is pushed to Asterisk when telephony runs here."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from voicedock.schemas.base import Deleted, PageQuery
from voicedock.schemas.telephony import (
    NumberCreate,
    NumberEnvelope,
    NumberList,
    NumberUpdate,
    TrunkCreate,
    TrunkEnvelope,
    TrunkList,
    TrunkUpdate,
)
from voicedock.store import records

from ..context import BOX, TELEPHONY, create, read, reply, write
from ..spec import Operation, validate

log = logging.getLogger("voicedock.api")


async def _config_changed(request: web.Request) -> None:
    service = request.app.get(TELEPHONY)
    if service is not None:
        await service.config_changed()


def _registration(request: web.Request, trunk_id: str) -> dict[str, Any] | None:
    service = request.app.get(TELEPHONY)
    if service is None:
        return {"status": "telephony-disabled"}
    return service.health().get("trunks", {}).get(trunk_id)


def _page(query: PageQuery, total: int) -> dict[str, int]:
    return {"total": total, "limit": query.limit, "offset": query.offset}


# -- numbers -----------------------------------------------------------------------------------
async def list_numbers(request: web.Request, query: PageQuery) -> web.Response:
    items, total = await read(request, lambda d: records.list_numbers(d, query.limit, query.offset))
    return reply({"numbers": items, "pagination": _page(query, total)})


async def create_number(request: web.Request, body: NumberCreate) -> web.Response:
    fields = body.model_dump()
    number = await create(request, "phone numbers", lambda d: records.create_number(d, fields))
    await _config_changed(request)
    return reply({"number": number}, status=201)


async def get_number(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    return reply({"number": await read(request, lambda d: records.get_number(d, ident))})


async def update_number(request: web.Request, body: NumberUpdate) -> web.Response:
    ident = request.match_info["id"]
    fields = body.model_dump(exclude_unset=True)
    number = await write(request, lambda d: records.update_number(d, ident, fields))
    await _config_changed(request)
    return reply({"number": number})


async def delete_number(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    await write(request, lambda d: records.delete_number(d, ident))
    await _config_changed(request)
    return reply({"id": ident, "deleted": True})


# -- SIP trunks --------------------------------------------------------------------------------
async def list_trunks(request: web.Request, query: PageQuery) -> web.Response:
    rows, total = await read(request, lambda d: records.list_trunks(d, query.limit, query.offset))
    trunks = [records.trunk_out(r, _registration(request, r["id"])) for r in rows]
    return reply({"sip_trunks": trunks, "pagination": _page(query, total)})


async def create_trunk(request: web.Request, body: TrunkCreate) -> web.Response:
    fields = body.model_dump(by_alias=True)
    box = request.app[BOX]
    row = await create(request, "SIP trunks", lambda d: records.create_trunk(d, box, fields))
    await _config_changed(request)
    return reply({"sip_trunk": records.trunk_out(row, _registration(request, row["id"]))}, status=201)


async def get_trunk(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    row = await read(request, lambda d: records.trunk_row(d, ident))
    return reply({"sip_trunk": records.trunk_out(row, _registration(request, ident))})


async def update_trunk(request: web.Request, body: BaseModel) -> web.Response:
    ident = request.match_info["id"]
    fields = body.model_dump(by_alias=True, exclude_unset=True)
    box = request.app[BOX]

    def apply(d: Any) -> dict[str, Any]:
        current = json.loads(records.trunk_row(d, ident)["config"])
        validate(TrunkCreate, {**current, **{k: v for k, v in fields.items() if k != "password"}})
        return records.update_trunk(d, box, ident, fields)

    row = await write(request, apply)
    await _config_changed(request)
    return reply({"sip_trunk": records.trunk_out(row, _registration(request, ident))})


async def delete_trunk(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    await write(request, lambda d: records.delete_trunk(d, ident))
    await _config_changed(request)
    return reply({"id": ident, "deleted": True})


OPERATIONS = [
    Operation("GET", "/numbers", list_numbers, "List phone numbers", "Numbers", query=PageQuery,
              response=NumberList),
    Operation("POST", "/numbers", create_number, "Register a phone number", "Numbers", body=NumberCreate,
              response=NumberEnvelope, status=201, errors=(403, 409, 422)),
    Operation("GET", "/numbers/{id}", get_number, "Get a phone number", "Numbers", response=NumberEnvelope,
              errors=(404,)),
    Operation("PATCH", "/numbers/{id}", update_number, "Update a phone number", "Numbers", body=NumberUpdate,
              response=NumberEnvelope, errors=(404, 422)),
    Operation("DELETE", "/numbers/{id}", delete_number, "Remove a phone number", "Numbers", response=Deleted,
              errors=(404,)),
    Operation("GET", "/sip-trunks", list_trunks, "List SIP trunks", "SIP trunks", query=PageQuery,
              response=TrunkList),
    Operation("POST", "/sip-trunks", create_trunk, "Create a SIP trunk", "SIP trunks", body=TrunkCreate,
              response=TrunkEnvelope, status=201, errors=(403,)),
    Operation("GET", "/sip-trunks/{id}", get_trunk, "Get a SIP trunk", "SIP trunks", response=TrunkEnvelope,
              errors=(404,)),
    Operation("PATCH", "/sip-trunks/{id}", update_trunk, "Update a SIP trunk", "SIP trunks", body=TrunkUpdate,
              response=TrunkEnvelope, errors=(404,)),
    Operation("DELETE", "/sip-trunks/{id}", delete_trunk, "Delete a SIP trunk", "SIP trunks", response=Deleted,
              errors=(404, 409)),
]
