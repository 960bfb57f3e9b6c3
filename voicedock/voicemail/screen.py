"""Screening an answered outbound call on its own media: who answered, then the end of a greeting.

Runs on the call's `AudioPort` before the session starts. The far end may send nothing while it is
silent, so a gap with no frame counts as silence on the screening's own clock, as the listener does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from voicedock.audio import SAMPLE_RATE, Pcm, rms
from voicedock.conversation.base import AudioPort

from .detector import DetectorSettings, Verdict, VoicemailDetector
from .greeting_end import Ending, GreetingEnd, GreetingEndSettings, tone_hz

GAP_SECONDS = 0.1  # no frame for this long counts as this much silence
ENERGY_FLOOR = 200.0  # about -44 dBFS, the listener's floor: telephone speech sits far above it


def hears_speech(frame: Pcm | None) -> bool:
    return frame is not None and rms(frame) >= ENERGY_FLOOR


def feed_detector(detector: VoicemailDetector, frame: Pcm | None, seconds: float) -> Verdict | None:
    """One frame (None: a gap) into the detector, with the same reading of audio on a call and offline."""
    return detector.process(seconds, hears_speech(frame))


def feed_greeting_end(greeting: GreetingEnd, frame: Pcm | None, seconds: float) -> Ending | None:
    tone = tone_hz(frame, ENERGY_FLOOR) if frame is not None else None
    return greeting.process(seconds, hears_speech(frame), tone)


class FrameReader:
    """Frames of an `AudioPort` with gaps filled in as silence; a read in flight is kept, never lost."""

    def __init__(self, audio: AudioPort) -> None:
        self.audio = audio
        self.pending: asyncio.Future[Pcm | None] | None = None

    async def next(self) -> tuple[Pcm | None, float] | None:
        """(frame, seconds), (None, GAP_SECONDS) for a gap, or None once the media has ended."""
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.audio.read())
        done, _ = await asyncio.wait({self.pending}, timeout=GAP_SECONDS)
        if not done:
            return None, GAP_SECONDS
        frame, self.pending = self.pending.result(), None
        return None if frame is None else (frame, len(frame) / SAMPLE_RATE)

    async def aclose(self) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.pending
        self.pending = None


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    seconds: float  # from the start of screening to the verdict, on the audio's clock
    heard: tuple[Pcm, ...]  # the callee's frames until then


async def screen(reader: FrameReader, settings: DetectorSettings | None = None) -> Screening | None:
    """Listen until the detector decides; None when the media ended first (the callee hung up)."""
    detector = VoicemailDetector(settings or DetectorSettings())
    heard: list[Pcm] = []
    while (item := await reader.next()) is not None:
        frame, seconds = item
        if frame is not None:
            heard.append(frame)
        verdict = feed_detector(detector, frame, seconds)
        if verdict is not None:
            return Screening(verdict, detector.elapsed, tuple(heard))
    return None


async def greeting_over(reader: FrameReader, settings: GreetingEndSettings | None = None) -> Ending | None:
    """Wait for the beep, the silence after the greeting, or the limit; None when the media ended."""
    greeting = GreetingEnd(settings or GreetingEndSettings())
    while (item := await reader.next()) is not None:
        ending = feed_greeting_end(greeting, *item)
        if ending is not None:
            return ending
    return None


class HeardFirst:
    """The call's `AudioPort`, whose reads give the frames screening already took first (the caller's
    "Hello?", for an assistant that waits for the caller to speak), then the read it left in flight."""

    def __init__(self, reader: FrameReader, heard: Sequence[Pcm]) -> None:
        self._reader = reader
        self._audio = reader.audio
        self._heard = list(heard)

    async def read(self) -> Pcm | None:
        if self._heard:
            return self._heard.pop(0)
        pending, self._reader.pending = self._reader.pending, None
        return await (pending if pending is not None else self._audio.read())

    def send_pcm(self, pcm: Pcm) -> None:
        self._audio.send_pcm(pcm)

    def flush(self) -> None:
        self._audio.flush()

    def clear_output(self) -> int:
        return self._audio.clear_output()

    def pause_output(self) -> None:
        self._audio.pause_output()

    def resume_output(self) -> None:
        self._audio.resume_output()

    @property
    def sent_seconds(self) -> float:
        return self._audio.sent_seconds

    async def wait_sent(self) -> None:
        await self._audio.wait_sent()


@dataclass(frozen=True)
class Answered:
    """Who answered an outbound call, and what comes next."""

    verdict: Verdict
    seconds: float  # screening time to the verdict
    audio: AudioPort | None = None  # a person: the audio their session reads
    ending: Ending | None = None  # a machine: how its greeting ended (the message may start now)


async def screen_answer(audio: AudioPort, *, replay: bool) -> Answered | None:
    """Screen a just-answered call; `replay` gives a person's session what they said meanwhile (an
    assistant that waits for them to speak answers their "Hello?"). None: the media ended first."""
    reader = FrameReader(audio)
    screening = await screen(reader)
    if screening is None:
        return None
    if screening.verdict is Verdict.HUMAN:
        return Answered(Verdict.HUMAN, screening.seconds, audio=HeardFirst(reader, screening.heard if replay else ()))
    ending = await greeting_over(reader)
    await reader.aclose()
    return None if ending is None else Answered(Verdict.MACHINE, screening.seconds, ending=ending)
