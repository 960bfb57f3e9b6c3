"""The contract between the call controller (which owns the phone line) and a call session
(which owns the conversation).

The controller adapts its media path to `AudioPort`, persists what the session reports through
`CallEvents`, and carries out `CallActions`. A session never touches ARI, RTP or the database, so
the same session runs against a real call, a test harness or a future remote media node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

from voicedock.assistant import CallAssistant
from voicedock.audio import FRAME_SAMPLES as FRAME_SAMPLES
from voicedock.audio import SAMPLE_RATE as SAMPLE_RATE
from voicedock.audio import Pcm as Pcm
from voicedock.telephony import ControlCommand
from voicedock.webhooks.payloads import MessageContext, call_context

from .phones import phone_region


class AudioPort(Protocol):
    """Caller audio in and assistant audio out, as 8 kHz mono int16."""

    async def read(self) -> Pcm | None:
        """The next 20 ms caller frame; None once the call's media has ended.

        Frames stop arriving while the far end sends nothing (silence suppression), so sessions
        keep their timers on their own clock, never on frame arrival.
        """

    def send_pcm(self, pcm: Pcm) -> None:
        """Queue assistant audio of any length; it is paced out in 20 ms frames."""

    def flush(self) -> None:
        """End of an utterance: send the trailing partial frame."""

    def clear_output(self) -> int:
        """Barge-in: drop all queued audio at once, ending any pause; returns the frames dropped."""

    def pause_output(self) -> None:
        """The caller may be interrupting: stop sending before the next 20 ms frame, keeping what is
        queued (and what is queued next); `sent_seconds` stays where the caller stopped hearing."""

    def resume_output(self) -> None:
        """It was a backchannel or noise: go on sending the kept audio from where it paused."""

    @property
    def sent_seconds(self) -> float:
        """Seconds of assistant audio actually sent so far (what the caller heard)."""

    async def wait_sent(self) -> None:
        """Return once everything queued has been sent or cleared (a pause holds it back)."""


class CallEvents(Protocol):
    """What the session reports; the controller stores it on the call and turns it into webhooks."""

    async def message(self, role: str, content: str, **extra: Any) -> None:
        """A final utterance or note: role is user, assistant, system, tool or dtmf."""

    async def tool_call(self, record: Mapping[str, Any]) -> None:
        """A tool call with its arguments and result."""

    async def turn_latency(self, turn: Mapping[str, float]) -> None:
        """endpointing_ms, stt_ms, llm_ttft_ms, tts_ttfb_ms, total_ms of one turn; a turn the caller
        gave up on also has `abandoned` (why) and `waited_ms` (see latency.py)."""


class CallActions(Protocol):
    """What a session may ask of the phone line."""

    async def hangup(self, reason: str) -> None:
        """End the call with an `ended_reason` such as assistant-ended-call."""

    async def transfer(self, destination: str) -> None:
        """Transfer to an E.164 number (through the trunk) or a SIP URI; ends the session."""


@dataclass(frozen=True)
class Dtmf:
    """A keypad digit the caller pressed (from Asterisk, not from the API)."""

    digit: str
    type: Literal["dtmf"] = "dtmf"


SessionCommand = ControlCommand | Dtmf


@dataclass(frozen=True)
class CallInfo:
    """Who is on the call and which assistant talks: all a session knows of the phone line."""

    call_id: str
    direction: str  # inbound or outbound
    assistant: CallAssistant
    assistant_id: str | None = None  # the stored assistant, where there is one (webhook secret, delivery log)
    agent_phone: str | None = None  # the assistant's number, whichever way the call went
    customer_phone: str | None = None  # the other party
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def phone_region(self) -> str | None:
        """The country whose phone numbers callers give here: the assistant's number's, else the
        other party's (`phones.phone_region`). Read on every tool turn; the numbers never change."""
        return phone_region(self.agent_phone, self.customer_phone)

    def context(self, status: str = "in-progress") -> MessageContext:
        return call_context(call_id=self.call_id, direction=self.direction, status=status,
                            assistant=self.assistant.document, agent_phone=self.agent_phone,
                            customer_phone=self.customer_phone)


class Session(Protocol):
    async def run(self) -> str | None:
        """Hold the conversation until it ends by itself; return an ended_reason, or None when the
        controller ended it (the task is cancelled on hang-up)."""

    async def command(self, command: SessionCommand) -> str:
        """Apply a control command or a caller's keypad digit; returns a short human-readable result.

        The session owns the ending: an `end-call` or `transfer` speaks its message, then the session
        hangs up or transfers through `CallActions` once the caller has heard it."""


SessionFactory = Callable[[CallInfo, AudioPort, CallEvents, CallActions], Session]
