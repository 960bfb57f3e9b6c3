"""Control commands and timers of a voice session: things that happen to a call from outside a turn.

Commands are answered as soon as they are accepted (the API caller is not kept waiting while
speech plays); what they trigger runs as ordinary turns, in order, after the current one.
"""

from __future__ import annotations

import math
from typing import assert_never

from voicedock.schemas.calls import EndCall, InjectContext, Say, Transfer

from .barge_in import hold_deadline
from .base import Dtmf, SessionCommand
from .core import SessionCore
from .speech import Timings
from .state import EndRequest, Hangup, PendingCommand, State, TransferTo
from .turns import reply_turn, say_turn

STILL_THERE = "Are you still there?"
SILENCE_GOODBYE = "I haven't heard anything for a while, so I'll end the call now. Goodbye!"
MAX_DURATION_GOODBYE = "I'm sorry, we have reached the time limit for this call. Goodbye!"
GOODBYE_MARGIN_SECONDS = 6.0  # the time-limit goodbye starts this long before the controller's cut-off
SILENCE_PROMPTS = 1  # "are you still there?" prompts before the call is ended for silence
ASSISTANT_ENDED = "assistant-ended-call"


def next_deadline(s: SessionCore) -> float:
    """When the next timer fires, on the session clock (inf: none is armed)."""
    deadlines = [math.inf]
    if not s.goodbye_started:
        limit = s.settings.max_duration_seconds
        deadlines.append(s.started + max(limit - GOODBYE_MARGIN_SECONDS, limit * 0.8))
    if s.settings.silence_handling and s.idle_since is not None and s.turn is None and not s.listener.in_speech:
        deadlines.append(s.idle_since + s.settings.silence_timeout_seconds)
    if (hold_due := hold_deadline(s)) is not None:
        deadlines.append(hold_due)
    return min(deadlines)


async def handle_timer(s: SessionCore) -> str | None:
    now = s.clock()
    if not s.goodbye_started and now >= next_deadline(s) and _max_duration_due(s, now):
        s.goodbye_started = True
        await s.barge_in(State.TIME_LIMIT)
        end: EndRequest = Hangup("exceeded-max-duration")
        s.start_turn(lambda: say_turn(s, MAX_DURATION_GOODBYE, end=end, interruptible=False))
        return None
    if s.idle_since is not None and now >= s.idle_since + s.settings.silence_timeout_seconds:
        s.idle_since = None
        s.silence_prompts += 1
        s.set_state(State.SILENCE_TIMEOUT)
        if s.silence_prompts <= SILENCE_PROMPTS:
            s.start_turn(lambda: say_turn(s, STILL_THERE))
        else:
            end = Hangup("silence-timed-out")
            s.start_turn(lambda: say_turn(s, SILENCE_GOODBYE, end=end, interruptible=False))
    return None


def _max_duration_due(s: SessionCore, now: float) -> bool:
    limit = s.settings.max_duration_seconds
    return now >= s.started + max(limit - GOODBYE_MARGIN_SECONDS, limit * 0.8)


async def handle_command(s: SessionCore, pending: PendingCommand) -> str | None:
    """Resolve the command's future; return an ended_reason only when the session must stop now."""
    reply, end = await _apply(s, pending.command)
    if not pending.result.done():
        pending.result.set_result(reply)
    if end is not None:
        return await end_now(s, end)
    return None


async def end_now(s: SessionCore, end: EndRequest) -> str:
    """Hang up or transfer through the phone line; the ended_reason the session returns."""
    if isinstance(end, TransferTo):
        s.set_state(State.ENDING_TRANSFER)
        await s.actions.transfer(end.destination)
        return "transferred"
    s.set_state(State.ENDING_HANGUP)
    await s.actions.hangup(end.reason)
    return end.reason


async def _apply(s: SessionCore, command: SessionCommand) -> tuple[str, EndRequest | None]:
    if isinstance(command, Say):
        end = Hangup(ASSISTANT_ENDED) if command.end_after else None
        s.start_turn(lambda: say_turn(s, command.content, end=end, interruptible=end is None))
        return ("speaking" + (", then ending the call" if end else ""), None)
    if isinstance(command, InjectContext):
        s.add_context(command.content)
        await s.events.message("system", command.content)
        if command.trigger_response:
            s.start_turn(lambda: reply_turn(s, None, Timings()))
            return ("context added; the assistant is answering", None)
        return ("context added", None)
    if isinstance(command, EndCall):
        return await _finish_with(s, command.message, Hangup(ASSISTANT_ENDED), "call ending")
    if isinstance(command, Transfer):
        transfer = TransferTo(command.destination)
        return await _finish_with(s, command.message, transfer, f"transferring to {command.destination}")
    if isinstance(command, Dtmf):
        s.history.append({"role": "user", "content": f"(the caller pressed {command.digit} on the keypad)"})
        if s.report_dtmf:
            await s.events.message("dtmf", command.digit)
        return ("digit noted", None)
    assert_never(command)


async def _finish_with(s: SessionCore, message: str | None, end: EndRequest, reply: str) -> tuple[str, EndRequest | None]:
    """Stop whatever is being said (keeping what was heard), then speak the message and act on it
    once it has been heard: the session, not the caller of the command, ends the call."""
    await s.barge_in(State.COMMAND)
    if message:
        s.start_turn(lambda: say_turn(s, message, end=end, interruptible=False))
        return (reply, None)
    return (reply, end)
