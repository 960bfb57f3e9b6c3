"""Phone numbers and SIP trunks as the API lists them (through its handlers, so a trunk's password
stays out of sight and its registration comes from the running telephony side)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from voicedock.schemas.base import PageQuery
from voicedock.store.documents import ASSISTANTS

from ..context import read
from ..routes import telephony as api_telephony
from .render import page

LIST_LIMIT = 500


def _assistant_names(d: Any) -> dict[str, str]:
    docs, _ = ASSISTANTS.page_json(d, 1000, 0)
    return {a["id"]: a["name"] for a in map(json.loads, docs)}


async def numbers_page(request: web.Request) -> web.StreamResponse:
    query = PageQuery(limit=LIST_LIMIT, offset=0)
    numbers = json.loads((await api_telephony.list_numbers(request, query=query)).text or "{}")["numbers"]
    trunks = json.loads((await api_telephony.list_trunks(request, query=query)).text or "{}")["sip_trunks"]
    names = await read(request, _assistant_names)
    return page(request, "numbers.html", title="Numbers and trunks", numbers=numbers, trunks=trunks,
                assistants=names, trunk_names={t["id"]: t["name"] for t in trunks})
