"""Control commands and timers of a voice session: things that happen to a call from outside a turn.

Commands are answered as soon as they are accepted (the API caller is not kept waiting while
speech plays); what they trigger runs as ordinary turns, in order, after the current one.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .speech import Timings
from .turns import EndRequest, reply_turn, say_turn

if TYPE_CHECKING:
    from .voice import VoiceSession

STILL_THERE = "Are you still there?"
SILENCE_GOODBYE = "I haven't heard anything for a while, so I'll end the call now. Goodbye!"
MAX_DURATION_GOODBYE = "I'm sorry, we have reached the time limit for this call. Goodbye!"
GOODBYE_MARGIN_SECONDS = 6.0  # the time-limit goodbye starts this long before the controller's cut-off
SILENCE_PROMPTS = 1  # "are you still there?" prompts before the call is ended for silence
ASSISTANT_ENDED = "assistant-ended-call"


@dataclass
class Command:
    body: dict[str, Any]
    result: asyncio.Future[str]


def next_deadline(s: VoiceSession) -> float:
    """When the next timer fires, on the session clock (inf: none is armed)."""
    deadlines = [math.inf]
    if not s.goodbye_started:
        limit = s.settings.max_duration_seconds
        deadlines.append(s.started + max(limit - GOODBYE_MARGIN_SECONDS, limit * 0.8))
    if s.settings.silence_handling and s.idle_since is not None and s.turn is None and not s.listener.in_speech:
        deadlines.append(s.idle_since + s.settings.silence_timeout_seconds)
    return min(deadlines)


async def handle_timer(s: VoiceSession) -> str | None:
    now = s.clock()
    if not s.goodbye_started and now >= next_deadline(s) and _max_duration_due(s, now):
        s.goodbye_started = True
        await s.barge_in("time-limit")
        end = EndRequest("hangup", "exceeded-max-duration")
        s.start_turn(lambda: say_turn(s, MAX_DURATION_GOODBYE, end=end, interruptible=False))
        return None
    if s.idle_since is not None and now >= s.idle_since + s.settings.silence_timeout_seconds:
        s.idle_since = None
        s.silence_prompts += 1
        s.set_state("silence-timeout")
        if s.silence_prompts <= SILENCE_PROMPTS:
            s.start_turn(lambda: say_turn(s, STILL_THERE))
        else:
            end = EndRequest("hangup", "silence-timed-out")
            s.start_turn(lambda: say_turn(s, SILENCE_GOODBYE, end=end, interruptible=False))
    return None


def _max_duration_due(s: VoiceSession, now: float) -> bool:
    limit = s.settings.max_duration_seconds
    return now >= s.started + max(limit - GOODBYE_MARGIN_SECONDS, limit * 0.8)


async def handle_command(s: VoiceSession, command: Command) -> str | None:
    """Resolve the command's future; return an ended_reason only when the session must stop now."""
    reply, reason = await _apply(s, command.body)
    if not command.result.done():
        command.result.set_result(reply)
    if reason is not None:
        return await _end_now(s, reason)
    return None


async def _end_now(s: VoiceSession, reason: str) -> str:
    if reason.startswith("transfer:"):
        await s.actions.transfer(reason.split(":", 1)[1])
        return "transferred"
    await s.actions.hangup(reason)
    return reason


async def _apply(s: VoiceSession, body: Mapping[str, Any]) -> tuple[str, str | None]:
    kind = body.get("type")
    if kind == "say":
        content = str(body.get("content") or "")
        end = EndRequest("hangup", ASSISTANT_ENDED) if body.get("end_after") else None
        s.start_turn(lambda: say_turn(s, content, end=end, interruptible=end is None))
        return ("speaking" + (", then ending the call" if end else ""), None)
    if kind == "inject-context":
        content = str(body.get("content") or "")
        s.history.append({"role": "system", "content": content})
        await s.events.message("system", content)
        if body.get("trigger_response"):
            s.start_turn(lambda: reply_turn(s, None, Timings()))
            return ("context added; the assistant is answering", None)
        return ("context added", None)
    if kind == "end-call":
        return await _finish_with(s, body.get("message"), EndRequest("hangup", ASSISTANT_ENDED), "call ending")
    if kind == "transfer":
        destination = str(body.get("destination") or "")
        if not destination:
            return ("transfer needs a destination", None)
        end = EndRequest("transfer", destination)
        return await _finish_with(s, body.get("message"), end, f"transferring to {destination}")
    if kind == "dtmf":
        digit = str(body.get("digit") or "")
        s.history.append({"role": "user", "content": f"(the caller pressed {digit} on the keypad)"})
        if s.report_dtmf:
            await s.events.message("dtmf", digit)
        return ("digit noted", None)
    return (f"unknown command {kind!r} ignored", None)


async def _finish_with(s: VoiceSession, message: Any, end: EndRequest, reply: str) -> tuple[str, str | None]:
    """Stop whatever is being said (keeping what was heard), then speak the message and act."""
    await s.barge_in("command")
    if message:
        s.start_turn(lambda: say_turn(s, str(message), end=end, interruptible=False))
        return (reply, None)
    return (reply, f"transfer:{end.argument}" if end.action == "transfer" else end.argument)
