"""The engine-level session benchmark: real voice sessions on the ci models, fed in real time without SIP."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from voicedock.engines.loader import Engines
from voicedock_bench.realtime_line import RealtimeLine
from voicedock_bench.sessions import one_session
from voicedock_bench.utterances import piper_audio


async def test_the_line_times_a_reply_from_the_end_of_the_callers_speech() -> None:
    line = RealtimeLine()
    line.say(np.full(1600, 3000, np.int16))  # 0.2 s of caller sound: 10 frames
    frames = [await line.read() for _ in range(12)]
    assert line.speech_end is not None and sum(f is not None and f.any() for f in frames) == 10
    line.send_pcm(np.zeros(800, np.int16))  # silence is not a reply
    await asyncio.sleep(0.1)
    line.send_pcm(np.full(800, 5000, np.int16))
    latency = await line.reply_after(1.0)
    assert latency is not None and 0.09 < latency < 1.0
    assert 0 <= line.sent_seconds <= 0.2


@pytest.mark.models
async def test_two_sessions_at_once_each_answer_their_caller(ci_engines: Engines) -> None:
    question = await piper_audio(ci_engines.tts, "Hello, what time do you open on Saturday?")
    results = await asyncio.gather(*(one_session(ci_engines, i, [question]) for i in range(2)))
    for latencies, replies in results:
        assert latencies[0] is not None and latencies[0] > 0, "a caller was never answered"
        assert replies >= 1
