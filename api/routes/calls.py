"""Calls: history, outbound calls, live control and recordings."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from voicedock.schemas.calls import CallCreate, CallEnvelope, CallList, CallListQuery, ControlRequest, ControlResult
from voicedock.store import calls as store_calls
from voicedock.store.calls import ACTIVE_STATUSES
from voicedock.store.documents import ASSISTANTS
from voicedock.store.errors import Conflict
from voicedock.store.records import check_references
from voicedock.telephony import TelephonyError
from voicedock.timeutil import iso

from .. import forwarding
from ..context import CONTROL_LIMITER, SETTINGS, read, reply, telephony
from ..errors import ApiError
from ..llm_check import check_llm_now
from ..mail_check import check_mail_now
from ..model_check import check_models_now
from ..provider_check import check_speech_now
from ..spec import Operation


async def list_calls(request: web.Request, query: CallListQuery) -> web.Response:
    since = iso(query.since) if query.since else None
    until = iso(query.until) if query.until else None
    items, total = await read(request, lambda d: store_calls.list_calls(
        d, limit=query.limit, offset=query.offset, status=query.status, assistant_id=query.assistant_id,
        since=since, until=until))
    return reply({"calls": items, "pagination": {"total": total, "limit": query.limit, "offset": query.offset}})


async def get_call(request: web.Request) -> web.Response:
    ident = request.match_info["id"]
    return reply({"call": await read(request, lambda d: store_calls.get_call(d, ident))})


def _check_outbound(d: Any, body: CallCreate) -> None:
    check_references(d, {"assistant_id": body.assistant_id, "phone_number_id": body.phone_number_id,
                         "sip_trunk_id": body.sip_trunk_id})
    if body.assistant_id is not None and not ASSISTANTS.doc(d, body.assistant_id).get("is_active", True):
        raise Conflict("The assistant is not active; activate it before calling with it", "assistant_id")


async def create_call(request: web.Request, body: CallCreate) -> web.Response:
    await read(request, lambda d: _check_outbound(d, body))
    if body.assistant is not None:  # a stored one was checked when it was saved
        await check_speech_now(request, body.assistant)
        await check_llm_now(request, body.assistant)
        await check_models_now(body.assistant)
        await check_mail_now(request, body.assistant.notification_email)
    service = telephony(request)
    try:
        call_id = await service.start_outbound(body)
    except TelephonyError as err:
        raise ApiError(err.status, err.code, str(err)) from None
    return reply({"call": await read(request, lambda d: store_calls.get_call(d, call_id))}, status=201)


async def control_call(request: web.Request, body: ControlRequest) -> web.Response:
    ident = request.match_info["id"]
    call = await read(request, lambda d: store_calls.get_call(d, ident))
    if call["status"] not in ACTIVE_STATUSES:
        raise ApiError(400, "call_not_active", f"Call {ident} is {call['status']}; only active calls take commands")
    owner = call.get("node")
    if owner and owner != request.app[SETTINGS].node_id:  # the owner counts the command against its limit
        return await forwarding.to_owner(request, ident, owner, body)
    decision = request.app[CONTROL_LIMITER].hit(ident)
    if not decision.allowed:
        raise ApiError(429, "rate_limit_exceeded",
                       f"Call control limit of {decision.limit} commands per minute exceeded for this call",
                       headers={"Retry-After": str(decision.retry_after)})
    service = telephony(request)
    try:
        message = await service.control(ident, body.root)
    except TelephonyError as err:
        raise ApiError(err.status, err.code, str(err)) from None
    return reply({"success": True, "message": message})


async def get_recording(request: web.Request) -> web.StreamResponse:
    ident = request.match_info["id"]
    call = await read(request, lambda d: store_calls.get_call(d, ident))
    path = request.app[SETTINGS].data_dir / "recordings" / f"{call['id']}.wav"
    if not path.is_file():
        owner = call.get("node")
        if owner and owner != request.app[SETTINGS].node_id and call.get("recording_url"):
            return await forwarding.recording_from_owner(request, call["id"], owner)
        raise ApiError(404, "recording_not_found", "This call has no recording")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})


OPERATIONS = [
    Operation("GET", "/calls", list_calls, "List calls", "Calls", query=CallListQuery, response=CallList),
    Operation("POST", "/calls", create_call, "Start an outbound call", "Calls", body=CallCreate,
              response=CallEnvelope, status=201, errors=(409, 422, 503)),
    Operation("GET", "/calls/{id}", get_call, "Get a call", "Calls", response=CallEnvelope, errors=(404,)),
    Operation("POST", "/calls/{id}/control", control_call, "Control a live call", "Calls", body=ControlRequest,
              response=ControlResult, errors=(404, 409, 503), node_signed=True),
    Operation("GET", "/calls/{id}/recording", get_recording, "Download a call's recording (WAV)", "Calls",
              media_type="audio/wav", raw_response=True, errors=(404, 503), node_signed=True),
]
