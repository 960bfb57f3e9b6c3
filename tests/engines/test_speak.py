import asyncio
from contextlib import aclosing

import pytest

from voicedock.engines import AudioChunk, EngineError, LLMChunk, ToolCall
from voicedock.engines.fakes import FakeLLM, FakeTTS
from voicedock.engines.speak import ReplyEnd, speak_reply


async def test_sentences_are_spoken_in_order_and_the_reply_text_is_kept():
    llm, tts = FakeLLM(replies=["Sure. Dr. Jansen is free at 3.5 past... no, at four. Bye!"]), FakeTTS()
    items = [item async for item in speak_reply(llm, tts, [{"role": "user", "content": "hi"}])]
    assert [i.text for i in items if isinstance(i, AudioChunk)] == [
        "Sure.",
        "Dr. Jansen is free at 3.5 past...",
        "no, at four.",
        "Bye!",
    ]
    assert items[-1] == ReplyEnd("Sure. Dr. Jansen is free at 3.5 past... no, at four. Bye!", "stop")


async def test_first_sentence_is_spoken_before_the_reply_is_finished():
    llm, tts = FakeLLM(replies=["Hello there. " + "More words follow here. " * 20], token_delay=0.002), FakeTTS()
    async with aclosing(speak_reply(llm, tts, [])) as items:
        first = await anext(items)
        assert isinstance(first, AudioChunk) and first.text == "Hello there."
        assert tts.spoken == ["Hello there."]


async def test_tool_calls_pass_through():
    call = ToolCall("transfer_call", {"reason": "asked for a human"})
    items = [i async for i in speak_reply(FakeLLM(replies=[call]), FakeTTS(), [])]
    assert items == [call, ReplyEnd("", "tool_calls")]


async def test_llm_errors_reach_the_caller():
    with pytest.raises(EngineError):
        [i async for i in speak_reply(FakeLLM(replies=[EngineError("llm_failed", "x")]), FakeTTS(), [])]


class EndlessLLM(FakeLLM):
    closed = False

    async def stream(self, messages, tools=None, **kwargs):
        try:
            while True:
                await asyncio.sleep(0.001)
                yield LLMChunk(text="word. ")
        finally:
            EndlessLLM.closed = True


async def test_stopping_playback_stops_generation():
    llm = EndlessLLM()
    async with aclosing(speak_reply(llm, FakeTTS(), [])) as items:
        await anext(items)
    assert EndlessLLM.closed
