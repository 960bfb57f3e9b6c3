"""Screening on a call's audio port: the verdict, the beep, and a person's words handed on to the session."""

from __future__ import annotations

import asyncio

import numpy as np

from voicedock.audio import FRAME_SAMPLES, SAMPLE_RATE, Pcm
from voicedock.voicemail.detector import DetectorSettings, Verdict
from voicedock.voicemail.greeting_end import Ending, tone_hz
from voicedock.voicemail.screen import ENERGY_FLOOR, screen_answer

RNG = np.random.default_rng(7)
SETTINGS = DetectorSettings()


def frames(pcm: Pcm) -> list[Pcm]:
    return [pcm[i:i + FRAME_SAMPLES] for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES)]


def voice(seconds: float) -> Pcm:
    """Broadband sound at speech level: energy spread over the band, like a voice and unlike a beep."""
    return (RNG.normal(0, 3000, int(seconds * SAMPLE_RATE))).astype(np.int16)


def silence(seconds: float) -> Pcm:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def beep(seconds: float, hz: float = 1000.0) -> Pcm:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16)


class Line:
    """An AudioPort over a list of frames; after the last one it sends nothing (`end=False`, a silent
    far end) or ends the media (`end=True`)."""

    def __init__(self, pcm: Pcm, end: bool = False) -> None:
        self.frames = frames(pcm)
        self.end = end
        self.read_count = 0

    async def read(self) -> Pcm | None:
        if self.frames:
            self.read_count += 1
            await asyncio.sleep(0)
            return self.frames.pop(0)
        if self.end:
            return None
        await asyncio.Event().wait()
        return None

    def send_pcm(self, pcm: Pcm) -> None: ...
    def flush(self) -> None: ...
    def clear_output(self) -> int:
        return 0

    @property
    def sent_seconds(self) -> float:
        return 0.0

    async def wait_sent(self) -> None: ...


def test_a_beep_is_a_tone_and_a_voice_is_not() -> None:
    assert abs((tone_hz(beep(0.02), ENERGY_FLOOR) or 0) - 1000.0) <= 50
    assert tone_hz(voice(0.02), ENERGY_FLOOR) is None
    assert tone_hz(beep(0.02) // 100, ENERGY_FLOOR) is None  # too quiet to be anything


async def test_a_person_is_handed_on_with_their_hello_when_the_assistant_waits_for_them() -> None:
    said = np.concatenate([silence(0.3), voice(0.5), silence(0.8), voice(0.4)])
    line = Line(said)
    answered = await screen_answer(line, replay=True)
    assert answered is not None and answered.verdict is Verdict.HUMAN and answered.audio is not None
    assert abs(answered.seconds - (0.3 + 0.5 + SETTINGS.human_silence_seconds)) < 0.03
    session_heard = [await answered.audio.read() for _ in range(len(frames(said)))]
    assert np.array_equal(np.concatenate(session_heard), np.concatenate(frames(said)))  # nothing lost or doubled


async def test_without_replay_the_session_reads_only_what_comes_next() -> None:
    line = Line(np.concatenate([silence(0.2), voice(0.4), silence(SETTINGS.human_silence_seconds), beep(0.2)]))
    answered = await screen_answer(line, replay=False)
    assert answered is not None and answered.audio is not None
    nxt = await answered.audio.read()
    assert nxt is not None and tone_hz(nxt, ENERGY_FLOOR) is not None


async def test_a_greeting_is_a_machine_and_the_message_waits_for_its_beep() -> None:
    greeting = np.concatenate([silence(0.3), voice(3.0), silence(0.3), beep(0.4)])
    line = Line(np.concatenate([greeting, silence(3.0)]))
    answered = await screen_answer(line, replay=False)
    assert answered is not None and answered.verdict is Verdict.MACHINE and answered.ending is Ending.BEEP
    assert abs(answered.seconds - (0.3 + SETTINGS.machine_seconds)) < 0.03
    heard = line.read_count * FRAME_SAMPLES / SAMPLE_RATE
    assert len(greeting) / SAMPLE_RATE <= heard <= len(greeting) / SAMPLE_RATE + 0.06


async def test_a_silent_line_is_a_person_on_the_screenings_own_clock() -> None:
    start = asyncio.get_running_loop().time()
    answered = await screen_answer(Line(silence(0.0)), replay=False)
    waited = asyncio.get_running_loop().time() - start
    assert answered is not None and answered.verdict is Verdict.HUMAN
    assert 1.4 <= waited <= 2.0


async def test_a_callee_who_hangs_up_during_screening_ends_it() -> None:
    assert await screen_answer(Line(voice(1.0), end=True), replay=False) is None
