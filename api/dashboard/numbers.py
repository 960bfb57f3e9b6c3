"""Phone numbers and SIP trunks: listed, created, edited and deleted through the API's own handlers
(so a trunk's password stays out of sight, its registration comes from the running telephony side, and
a change reaches Asterisk as it does from the API), with forms generated from the API's schemas."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from voicedock.schemas.base import PageQuery
from voicedock.schemas.telephony import NumberCreate, NumberUpdate, TrunkCreate, TrunkUpdate
from voicedock.store import records
from voicedock.store.documents import ASSISTANTS

from ..context import TELEPHONY, read
from ..routes import telephony as api_telephony
from . import forms
from .editing import Editable
from .render import page

LIST_LIMIT = 500
SIP_HOST = "127.0.0.1"  # where Asterisk takes SIP (asterisk_conf/pjsip.conf.in binds there)


def _assistant_names(d: Any) -> dict[str, str]:
    docs, _ = ASSISTANTS.page_json(d, 1000, 0)
    return {a["id"]: a["name"] for a in map(json.loads, docs)}


def _trunk_names(d: Any) -> dict[str, str]:
    rows, _ = records.list_trunks(d, 1000, 0)
    return {r["id"]: r["name"] for r in rows}


def sip_port(request: web.Request) -> int | None:
    """The SIP port of the telephony this server runs, None when it runs none."""
    service = request.app.get(TELEPHONY)
    return service.sip_port if service is not None else None


async def numbers_page(request: web.Request) -> web.StreamResponse:
    query = PageQuery(limit=LIST_LIMIT, offset=0)
    numbers = json.loads((await api_telephony.list_numbers(request, query=query)).text or "{}")["numbers"]
    trunks = json.loads((await api_telephony.list_trunks(request, query=query)).text or "{}")["sip_trunks"]
    names = await read(request, _assistant_names)
    return page(request, "numbers.html", title="Numbers and trunks", numbers=numbers, trunks=trunks,
                assistants=names, trunk_names={t["id"]: t["name"] for t in trunks}, sip_host=SIP_HOST,
                sip_port=sip_port(request), saved=request.query.get("saved") == "1",
                deleted=request.query.get("deleted") == "1")


async def _pick_references(request: web.Request, fields: list[forms.FormField]) -> list[forms.FormField]:
    """A number's assistant and trunk are picked from those that exist, by name."""
    assistants, trunks = await read(request, lambda d: (_assistant_names(d), _trunk_names(d)))
    return forms.with_choices(forms.with_choices(fields, "assistant_id", assistants), "sip_trunk_id", trunks)


def _trunk(d: Any, ident: str) -> dict[str, Any]:
    return records.trunk_out(records.trunk_row(d, ident))  # as the API shows it: no password, only password_set


def _blank_trunk() -> dict[str, Any]:
    doc = TrunkCreate.model_validate({"name": "-", "host": "-"}).model_dump(by_alias=True, exclude={"password"})
    return {**doc, "id": None, "name": "", "host": "", "password_set": False}


NUMBERS = Editable(
    noun="number", path="/dashboard/numbers", back=("/dashboard/numbers", "Numbers and trunks"),
    envelope="number", create_model=NumberCreate, update_model=NumberUpdate,
    create_fields=forms.fields_from_schema(NumberCreate.model_json_schema()),
    edit_fields=forms.fields_from_schema(NumberUpdate.model_json_schema()),
    load=records.get_number, blank=lambda: {"id": None, "phone_number": "New number"},
    name=lambda doc: doc["phone_number"], api_create=api_telephony.create_number,
    api_update=api_telephony.update_number, api_delete=api_telephony.delete_number, refine=_pick_references,
    deleting="is removed: calls to it are no longer answered. Its past calls keep their records.",
)

TRUNK_FIELDS = forms.fields_from_schema(TrunkCreate.model_json_schema(), secrets=frozenset({"password"}))
TRUNKS = Editable(
    noun="SIP trunk", path="/dashboard/trunks", back=("/dashboard/numbers", "Numbers and trunks"),
    envelope="sip_trunk", create_model=TrunkCreate, update_model=TrunkUpdate,
    create_fields=TRUNK_FIELDS, edit_fields=TRUNK_FIELDS, load=_trunk, blank=_blank_trunk,
    name=lambda doc: doc["name"] or "New SIP trunk", api_create=api_telephony.create_trunk,
    api_update=api_telephony.update_trunk, api_delete=api_telephony.delete_trunk,
    deleting="is deleted for good, with its stored password. The API refuses while a number still uses it.",
)
