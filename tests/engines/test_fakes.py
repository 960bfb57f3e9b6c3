import asyncio

import numpy as np
import pytest

from voicedock.engines import LLM, STT, TTS, VAD, EngineError, ToolCall
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from voicedock.engines.loader import fake_engines


def test_fakes_satisfy_the_engine_protocols():
    engines = fake_engines()
    assert isinstance(engines.vad, VAD)
    assert isinstance(engines.stt, STT)
    assert isinstance(engines.llm, LLM)
    assert isinstance(engines.tts, TTS)


def test_fake_vad_hears_a_tone_and_not_silence():
    tone = (np.sin(np.arange(160) / 3) * 5000).astype(np.int16)
    assert FakeVAD().is_speech(tone, 8000)
    assert not FakeVAD().is_speech(np.zeros(160, np.int16), 8000)


async def test_fake_stt_plays_its_script_in_order_then_repeats_the_last():
    stt = FakeSTT(transcripts=["book an appointment", "tomorrow"])
    texts = [(await stt.transcribe(np.zeros(8000, np.int16), 8000)).text for _ in range(3)]
    assert texts == ["book an appointment", "tomorrow", "tomorrow"]
    assert stt.calls[0] == (8000, 8000)


async def test_fake_llm_streams_text_then_a_tool_call_then_raises():
    llm = FakeLLM(
        replies=["Sure, one moment.", ToolCall("book", {"day": "2025-06-03"}), EngineError("llm_failed", "boom")]
    )
    first = [c async for c in llm.stream([{"role": "user", "content": "hi"}])]
    assert "".join(c.text for c in first) == "Sure, one moment."
    assert first[-1].finish_reason == "stop"
    second = [c async for c in llm.stream([])]
    assert second[0].tool_call == ToolCall("book", {"day": "2025-06-03"})
    with pytest.raises(EngineError):
        [c async for c in llm.stream([])]
    assert llm.requests[0]["messages"] == [{"role": "user", "content": "hi"}]


async def test_fake_llm_json_replies_run_out_with_an_engine_error():
    llm = FakeLLM(json_replies=[{"intent": "book"}])
    assert await llm.complete_json([], {"type": "object"}) == {"intent": "book"}
    with pytest.raises(EngineError) as err:
        await llm.complete_json([], {"type": "object"})
    assert err.value.code == "llm_invalid_json"


async def test_fake_tts_gives_one_chunk_per_sentence_with_its_text():
    tts = FakeTTS(rate=8000, seconds_per_char=0.01)
    chunks = [c async for c in tts.synthesize("Hello there. Dr. Smith will call.")]
    assert [c.text for c in chunks] == ["Hello there.", "Dr. Smith will call."]
    assert chunks[0].rate == 8000 and chunks[0].seconds == pytest.approx(0.12, abs=0.01)


async def test_a_slow_fake_can_be_cancelled_midway():
    tts = FakeTTS(delay=10)

    async def consume() -> None:
        async for _ in tts.synthesize("One. Two."):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tts.spoken == []
