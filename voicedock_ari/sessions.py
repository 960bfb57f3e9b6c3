"""Placeholder sessions until the voice session is plugged in through the `SessionFactory`.

- `EchoSession` sends every caller frame straight back (tests, benchmarks: measures the media
  path alone), except while it speaks a `say`.
- `ToneSession` has no speech engine: `say` speaks one 200 ms tone per word (600 Hz, 60 ms gaps),
  so tests can count words by ear and FFT; `end-call`/`transfer` speak their message the same way
  and then act through `CallActions`; DTMF digits are noted on the call record.
Both hold the call until the caller hangs up or the controller ends it.
"""

from __future__ import annotations

from typing import assert_never

import numpy as np

from voicedock.conversation.base import (
    SAMPLE_RATE,
    AudioPort,
    CallActions,
    CallEvents,
    CallInfo,
    Dtmf,
    Pcm,
    Session,
    SessionCommand,
    SessionFactory,
)
from voicedock.schemas.calls import EndCall, InjectContext, Say, Transfer

WORD_HZ = 600.0
WORD_SECONDS = 0.2
GAP_SECONDS = 0.06


def word_tones(text: str, hz: float = WORD_HZ, amplitude: int = 10000) -> Pcm:
    """One tone per word with short silences between: an audible stand-in for TTS."""
    words = text.split()
    t = np.arange(int(SAMPLE_RATE * WORD_SECONDS)) / SAMPLE_RATE
    beep = (np.sin(2 * np.pi * hz * t) * amplitude).astype(np.int16)
    gap = np.zeros(int(SAMPLE_RATE * GAP_SECONDS), dtype=np.int16)
    parts: list[Pcm] = []
    for _ in words:
        parts += [beep, gap]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


class _BaseSession:
    def __init__(self, info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> None:
        self.info = info
        self.audio = audio
        self.events = events
        self.actions = actions
        self.digits: list[str] = []
        self.speaking = False

    async def speak(self, text: str) -> None:
        pcm = word_tones(text)
        if len(pcm):
            self.speaking = True
            try:
                self.audio.send_pcm(pcm)
                self.audio.flush()
                await self.events.message("assistant", text)
                await self.audio.wait_sent()
            finally:
                self.speaking = False

    async def command(self, command: SessionCommand) -> str:
        match command:
            case Dtmf():
                self.digits.append(command.digit)
                return "digit noted"
            case Say():
                await self.speak(command.content)
                if command.end_after:
                    await self.actions.hangup("assistant-ended-call")
                return "said"
            case InjectContext():
                await self.events.message("system", command.content)
                return "context added"
            case EndCall():
                await self.speak(command.message or "")
                await self.actions.hangup("assistant-ended-call")
                return "call ended"
            case Transfer():
                await self.speak(command.message or "")
                await self.actions.transfer(command.destination)
                return f"transferred to {command.destination}"
            case _:
                assert_never(command)


class ToneSession(_BaseSession):
    """Speaks the assistant's first message as word tones, then listens until the call ends."""

    async def run(self) -> str | None:
        greeting = self.info.assistant.greeting
        if greeting:
            await self.speak(greeting)
        while await self.audio.read() is not None:
            pass
        return None


class EchoSession(_BaseSession):
    """Sends each caller frame back as soon as it arrives; while it speaks, the caller's frames are
    dropped, so what it says is sent whole (and a `say` returns) instead of queueing behind the echo."""

    async def run(self) -> str | None:
        while True:
            frame = await self.audio.read()
            if frame is None:
                return None
            if not self.speaking:
                self.audio.send_pcm(frame)


def session_factory(kind: str = "tone") -> SessionFactory:
    """`tone` or `echo`; the result is what the controller takes as its `session_factory`."""
    classes: dict[str, type[_BaseSession]] = {"tone": ToneSession, "echo": EchoSession}
    cls = classes[kind]

    def make(info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> Session:
        return cls(info, audio, events, actions)  # type: ignore[return-value]

    return make
