"""The voice session's typed vocabulary: its phases, the states it traces, and what its inbox carries.

Everything that happens to a call arrives in the session's inbox as one of `InboxEvent`, so the
session's loop handles a closed set of cases and the type checker sees a case left out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from .base import SessionCommand
from .listener import ListenEvent


class Phase(StrEnum):
    """What the assistant is doing in the current turn (barge-in and abandoned replies depend on it)."""

    IDLE = "idle"
    THINKING = "thinking"
    TOOL = "tool"
    SPEAKING = "speaking"


class State(StrEnum):
    """Steps the session traces (tests and debug logs read them); the phases are among them."""

    LISTENING = "listening"
    THINKING = "thinking"
    TOOL = "tool"
    SPEAKING = "speaking"
    CALLER_SPEAKING = "caller-speaking"
    REPLY_ABANDONED = "reply-abandoned"
    CALLER_SPOKE_DURING_TURN = "caller-spoke-during-turn"
    BACKCHANNEL_IGNORED = "backchannel-ignored"
    PAUSED = "paused"  # the assistant's audio, on the caller's voice
    RESUMED = "resumed"  # a backchannel, a cough or noise: the same audio goes on
    TALKED_OVER = "talked-over"  # the caller kept talking past the pause's limit
    BARGE_IN = "barge-in"
    TIME_LIMIT = "time-limit"
    COMMAND = "command"
    SILENCE_TIMEOUT = "silence-timeout"
    MEDIA_ENDED = "media-ended"
    ENDING_HANGUP = "ending:hangup"
    ENDING_TRANSFER = "ending:transfer"


PHASE_OF_STATE = {State.THINKING: Phase.THINKING, State.TOOL: Phase.TOOL, State.SPEAKING: Phase.SPEAKING}


@dataclass(frozen=True)
class TurnDone:
    """A turn task finished (or failed, or was cancelled)."""

    task: asyncio.Task[None]


@dataclass(frozen=True)
class Hangup:
    """End the call with `reason`, put on the inbox once the goodbye has been heard."""

    reason: str


@dataclass(frozen=True)
class TransferTo:
    """Transfer the call to `destination`, once the transfer message has been heard."""

    destination: str


EndRequest = Hangup | TransferTo


@dataclass(frozen=True)
class Judged:
    """The caller's words said over the assistant, up to their pause number `pause`, are transcribed."""

    pause: int


@dataclass(frozen=True)
class PendingCommand:
    """A control command and the future its sender awaits for the reply text."""

    command: SessionCommand
    result: asyncio.Future[str]


InboxEvent = ListenEvent | TurnDone | Hangup | TransferTo | PendingCommand | Judged
