"""One measured call of the turn benchmark: greeting, questions, a long answer the caller says
"okay" over and then interrupts, hang-up.

Everything is timed at the caller, from the frames `SipCall` sends and hears, so the figures
include Asterisk and the network path a real phone would see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import turn_metrics as tm
from .questions import BACKCHANNEL, INTERRUPTION, LONG_QUESTION, QUESTIONS
from .sip_caller import CallFailed, SipCall

LOUD = 300.0  # rms of a 20 ms frame that counts as assistant speech (silence from Asterisk is 0)
QUIET = 1.2  # seconds without speech that end an assistant reply
BARGE_AFTER = 0.6  # seconds into a long answer (or after it resumed) at which the caller speaks over it
RESUME_WITHIN = 6.0  # seconds after the backchannel in which the assistant's voice again means it went on


@dataclass
class Turn:
    voice: str
    call: int
    text: str
    spoken_ms: float
    latency_ms: float | None
    kind: str = "question"
    concurrent: int = 1  # calls in progress together in this round of the benchmark


@dataclass
class CallResult:
    voice: str
    index: int
    said: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    barge_in_ms: float | None = None  # the interruption's onset -> the assistant's audio stopped
    barge_in_note: str | None = None
    backchannel_ms: float | None = None  # the same for the backchannel
    backchannel_heard_again: bool | None = None  # the assistant's voice came back after it
    heard: list[tuple[float, float]] = field(default_factory=list)
    sent: list[tuple[float, float]] = field(default_factory=list)
    record: dict[str, Any] | None = None
    error: str | None = None
    concurrent: int = 1
    greeting_ms: float | None = None  # answered -> first frame of the greeting heard

    @property
    def user(self) -> str:
        """The SIP user the call comes from, which VoiceDock stores as the caller's number."""
        return f"bench{self.index}"


async def _watch(call: SipCall, find: Callable[[], float | None], within: float, every: float) -> float | None:
    """Poll what the caller has heard until `find` returns a time, the far end hangs up, or `within` ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline and not call.far_end_hung_up.is_set():
        if (found := find()) is not None:
            return found
        await asyncio.sleep(every)
    return None


async def wait_voice(call: SipCall, after: float, within: float) -> float | None:
    return await _watch(call, lambda: tm.voice_starts(call.heard, after, LOUD), within, 0.02)


async def wait_quiet(call: SipCall, after: float, within: float, quiet: float = QUIET) -> float | None:
    return await _watch(call, lambda: tm.voice_stops(call.heard, after, LOUD, quiet), within, 0.05)


async def ask(call: SipCall, result: CallResult, text: str, audio: np.ndarray, reply_timeout: float,
              kind: str = "question") -> float | None:
    """Speak, then measure the time to the first reply audio; returns when that reply started."""
    played = await call.play(audio)
    result.said.append(text)
    end = played.voice_ended or played.ended
    first = await wait_voice(call, end, reply_timeout)
    latency = None if first is None else round((first - end) * 1000, 1)
    result.turns.append(Turn(result.voice, result.index, text, round((end - played.started) * 1000), latency, kind,
                             result.concurrent))
    return first


async def speaking_after(call: SipCall, at: float) -> None:
    """Wait until `at`, then until the assistant is heard speaking (not in a gap between sentences,
    which TTS leaves on a busy machine), so the caller talks over its voice."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))
    await wait_voice(call, loop.time() - 0.04, 5.0)


def _pause_ms(call: SipCall, onset: float) -> float | None:
    found = tm.pause_time(call.heard, onset, LOUD)
    return None if found is None else round(found * 1000, 1)


async def backchannel(call: SipCall, result: CallResult, audio: np.ndarray) -> float | None:
    """Say "okay" over the answer that is playing: measure how soon it pauses and whether it goes
    on (not said for the WER: it must not become a turn). Returns when it was heard again."""
    played = await call.play(audio)
    onset = played.voice_started or played.started
    result.backchannel_ms = _pause_ms(call, onset)
    again = await wait_voice(call, played.voice_ended or played.ended, RESUME_WITHIN)
    result.backchannel_heard_again = again is not None
    return again


async def interrupt(call: SipCall, result: CallResult, audio: np.ndarray, reply_timeout: float) -> None:
    """Talk over the answer that is playing; measure how soon it stops and how soon the next reply starts."""
    played = await call.play(audio)
    result.said.append(INTERRUPTION)
    onset = played.voice_started or played.started
    end = played.voice_ended or played.ended
    result.barge_in_ms = _pause_ms(call, onset)
    if result.barge_in_ms is None:
        result.barge_in_note = "the answer was not playing when the caller interrupted"
    reply = await wait_voice(call, end, reply_timeout)
    result.turns.append(Turn(result.voice, result.index, INTERRUPTION, round((end - played.started) * 1000),
                             None if reply is None else round((reply - end) * 1000, 1), "interruption",
                             result.concurrent))
    if reply is not None:
        await wait_quiet(call, reply, 30)


async def one_call(uri: str, voice: str, index: int, audio: dict[str, np.ndarray], reply_timeout: float,
                   questions: int = len(QUESTIONS), concurrent: int = 1) -> CallResult:
    result = CallResult(voice, index, concurrent=concurrent)
    call = SipCall(user=result.user)
    loop = asyncio.get_running_loop()
    try:
        await call.dial(uri)
        answered = loop.time()
        greeting = await wait_voice(call, answered, 15)
        if greeting is not None:
            result.greeting_ms = round((greeting - answered) * 1000, 1)
            await wait_quiet(call, greeting, 30)
        if call.far_end_hung_up.is_set():  # a busy message: the node was full
            result.error = "hung up after the greeting"
            return result
        for text in QUESTIONS[:questions]:
            first = await ask(call, result, text, audio[text], reply_timeout)
            if first is not None:
                await wait_quiet(call, first, 30)
        first = await ask(call, result, LONG_QUESTION, audio[LONG_QUESTION], reply_timeout, kind="long")
        if first is not None:
            await speaking_after(call, first + BARGE_AFTER)
            again = await backchannel(call, result, audio[BACKCHANNEL])
            await speaking_after(call, (again or loop.time()) + BARGE_AFTER)
            await interrupt(call, result, audio[INTERRUPTION], reply_timeout)
    except CallFailed as err:
        result.error = str(err)
    finally:
        await call.hangup()
        base = call.sent[0][0] if call.sent else 0.0
        result.heard = [(round(t - base, 3), rms) for t, rms in call.heard]
        result.sent = [(round(t - base, 3), rms) for t, rms in call.sent]
    return result
