"""Erasure of everything stored about one caller (data-protection requests)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from voicedock.retention import delete_recordings
from voicedock.schemas.privacy import CustomerErasure
from voicedock.store.privacy import erase_customer

from ..context import SETTINGS, reply, write
from ..errors import ApiError
from ..spec import Operation

MAX_NUMBER = 64


async def erase(request: web.Request) -> web.Response:
    """Calls with this caller number, their transcripts, recordings, usage rows and webhook log."""
    number = request.match_info["number"]  # as the call side stored it: E.164, or whatever the caller id was
    if len(number) > MAX_NUMBER:
        raise ApiError(400, "invalid_number", f"A caller number has at most {MAX_NUMBER} characters", "number")
    gone = await write(request, lambda d: erase_customer(d, number))
    await asyncio.to_thread(delete_recordings, request.app[SETTINGS].data_dir, gone.recordings)
    return reply({"number": number, "deleted": gone.to_dict()})


OPERATIONS = [
    Operation("DELETE", "/customers/{number}", erase, "Erase everything stored about one caller number", "Privacy",
              response=CustomerErasure, errors=(400, 409)),
]
