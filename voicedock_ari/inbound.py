"""An inbound call from StasisStart to a running session: route, ask `assistant-request`, answer.

A call that must not be served (unknown number, inactive assistant, an `{"error"}` reply) hears
Asterisk's own "no service" prompt where the sound exists (or, for an `{"error": text}` reply, the
text spoken by the call's session), is hung up, and keeps a `rejected` record, so the operator can
see who called a dead number.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from voicedock.webhooks.payloads import ASSISTANT_REQUEST, assistant_request
from voicedock.webhooks.routing import subscribed_events

from . import call_store
from .ari.events import StasisStart
from .routing import Route, apply_assistant_reply, route_inbound, to_e164

if TYPE_CHECKING:
    from .live_call import LiveCall

log = logging.getLogger("voicedock.calls")

NO_SERVICE_SOUND = "ss-noservice"


def dialed_number(start: StasisStart) -> str | None:
    """The number the caller dialed: the dialplan passes `${EXTEN}` as the second app argument."""
    exten = start.args[1] if len(start.args) > 1 else start.channel.dialplan.exten
    return to_e164(exten) or exten or None


def _apply_route(call: LiveCall, route: Route) -> None:
    record = call.record
    record.assistant = route.assistant
    record.assistant_id = route.assistant_id
    record.phone_number_id = route.number["id"] if route.number else None


async def run_inbound(call: LiveCall, start: StasisStart) -> None:
    dialed = dialed_number(start)
    call.record.agent_phone = dialed
    route = await call.ctl.db.read(lambda d: route_inbound(d, dialed))
    _apply_route(call, route)
    await call.ctl.write(lambda d: call_store.create(d, call.record))
    log.info("inbound call", extra={"call_id": call.call_id, "to": dialed, "assistant_id": route.assistant_id})
    if route.reject is None and ASSISTANT_REQUEST in subscribed_events(route.assistant):
        reply = await call.ctl.webhooks.request_assistant(
            assistant_config=route.assistant, assistant_id=route.assistant_id, call_id=call.call_id,
            payload=assistant_request(call.record.context()),
        )
        route = await call.ctl.db.read(lambda d: apply_assistant_reply(d, route, reply))
        _apply_route(call, route)
        await call.ctl.write(lambda d: call_store.set_assistant(d, call.record))
    if route.reject is not None:
        await reject(call, route.reject, route.message)
        return
    await call.ctl.ari.answer(call.channel_id)
    await call.converse()


async def reject(call: LiveCall, reason: str, message: str | None = None) -> None:
    """Say `message` (an assistant-request error) or "no service", hang up, keep the record."""
    call.on_caller_hangup = ("rejected", reason)
    if message:
        try:
            await call.ctl.ari.answer(call.channel_id)
            await call.say_and_end(message, ("rejected", reason))
            return
        except Exception:
            log.warning("could not speak the assistant-request error", extra={"call_id": call.call_id},
                        exc_info=True)
    elif reason != "assistant-request-returned-error" and await call.ctl.has_sound(NO_SERVICE_SOUND):
        try:
            await call.ctl.ari.answer(call.channel_id)
            await call.play_and_wait(f"sound:{NO_SERVICE_SOUND}")
        except Exception:
            log.warning("could not play the no-service prompt", extra={"call_id": call.call_id}, exc_info=True)
    call.request_end("rejected", reason)
