"""The engine benchmark's whole turn drives the speech path real calls use, with fake engines."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from voicedock.engines import EngineError, LLMChunk
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines
from voicedock_bench.engines import _whole_turn

PHONE = np.zeros(8000, np.int16)


async def test_a_whole_turn_ends_when_the_first_reply_audio_reaches_the_line() -> None:
    llm, tts = FakeLLM(replies=["We open at nine. Parking is behind the building."]), FakeTTS()
    engines = fake_engines(stt=FakeSTT(transcripts=["are you open on saturday"]), llm=llm, tts=tts)
    seconds, outcome = await _whole_turn(engines, PHONE)
    assert outcome == "audio" and 0 < seconds < 5
    assert llm.requests[0]["messages"][-1] == {"role": "user", "content": "are you open on saturday"}
    assert tts.spoken[0] == "We open at nine."


async def test_a_reply_without_words_is_reported_as_no_audio() -> None:
    seconds, outcome = await _whole_turn(fake_engines(llm=FakeLLM(replies=[""])), PHONE)
    assert outcome == "no audio" and seconds >= 0


async def test_llm_errors_reach_the_benchmark() -> None:
    engines = fake_engines(llm=FakeLLM(replies=[EngineError("llm_failed", "x")]))
    with pytest.raises(EngineError):
        await _whole_turn(engines, PHONE)


class EndlessLLM(FakeLLM):
    closed = False

    async def stream(self, messages, tools=None, **kwargs):  # type: ignore[no-untyped-def, override]
        try:
            while True:
                await asyncio.sleep(0.001)
                yield LLMChunk(text="word. ")
        finally:
            EndlessLLM.closed = True


async def test_generation_stops_once_the_first_audio_is_out() -> None:
    _, outcome = await _whole_turn(fake_engines(llm=EndlessLLM()), PHONE)
    assert outcome == "audio" and EndlessLLM.closed
