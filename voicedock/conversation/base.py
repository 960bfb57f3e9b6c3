"""The contract between the call controller (which owns the phone line) and a call session
(which owns the conversation).

The controller adapts its media path to `AudioPort`, persists what the session reports through
`CallEvents`, and carries out `CallActions`. A session never touches ARI, RTP or the database, so
the same session runs against a real call, a test harness or a future remote media node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz


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
        """Barge-in: drop all queued audio at once; returns the frames dropped."""

    @property
    def sent_seconds(self) -> float:
        """Seconds of assistant audio actually sent so far (what the caller heard)."""

    async def wait_sent(self) -> None:
        """Return once everything queued has been sent or cleared."""


class CallEvents(Protocol):
    """What the session reports; the controller stores it on the call and turns it into webhooks."""

    async def message(self, role: str, content: str, **extra: Any) -> None:
        """A final utterance or note: role is user, assistant, system, tool or dtmf."""

    async def tool_call(self, record: Mapping[str, Any]) -> None:
        """A tool call with its arguments and result."""

    async def turn_latency(self, turn: Mapping[str, float]) -> None:
        """endpointing_ms, stt_ms, llm_ttft_ms, tts_ttfb_ms, total_ms of one turn."""


class CallActions(Protocol):
    """What a session may ask of the phone line."""

    async def hangup(self, reason: str) -> None:
        """End the call with an `ended_reason` such as assistant-ended-call."""

    async def transfer(self, destination: str) -> None:
        """Transfer to an E.164 number (through the trunk) or a SIP URI; ends the session."""


@dataclass(frozen=True)
class CallInfo:
    call_id: str
    direction: str  # inbound or outbound
    assistant: Mapping[str, Any]  # the assistant configuration (public fields)
    caller: str | None = None
    callee: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


class Session(Protocol):
    async def run(self) -> str | None:
        """Hold the conversation until it ends by itself; return an ended_reason, or None when the
        controller ended it (the task is cancelled on hang-up)."""

    async def command(self, command: Mapping[str, Any]) -> str:
        """Apply a control command (`say`, `inject-context`, `end-call`, `transfer`, or
        `{"type": "dtmf", "digit": "5"}`); returns a short human-readable result."""


SessionFactory = Callable[[CallInfo, AudioPort, CallEvents, CallActions], Session]
