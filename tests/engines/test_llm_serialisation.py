"""LlamaLLM's guarantees that do not need a model: one generation at a time, even under cancellation."""

import asyncio
import threading
import time
from contextlib import aclosing

import pytest

from voicedock.engines import EngineError, ToolCall
from voicedock.engines.llm_llama import LlamaLLM


class StubLlama:
    """Stands in for llama_cpp.Llama and fails loudly if two generations overlap."""

    def __init__(self, step_seconds: float = 0.005) -> None:
        self.step_seconds = step_seconds
        self.active = 0
        self.max_active = 0
        self.closed = 0
        self._lock = threading.Lock()

    def _enter(self) -> None:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def _leave(self) -> None:
        with self._lock:
            self.active -= 1

    def create_chat_completion(self, messages, stream=False, tools=None, tool_choice=None, response_format=None, **kw):
        if not stream:
            self._enter()
            time.sleep(self.step_seconds)
            self._leave()
            content = '{"intent": "book"}' if response_format else ""
            return {"choices": [{"message": {"content": content}}]}
        return self._stream(messages, tool_choice)

    def _stream(self, messages, tool_choice):
        self._enter()
        try:
            if tool_choice:
                for part in ['{"day": ', '"2025-06-03"}']:
                    time.sleep(self.step_seconds)
                    yield {
                        "choices": [
                            {
                                "delta": {
                                    "tool_calls": [
                                        {
                                            "index": 0,
                                            "id": "c1",
                                            "function": {"name": tool_choice["function"]["name"], "arguments": part},
                                        }
                                    ]
                                },
                                "finish_reason": None,
                            }
                        ]
                    }
            else:
                for word in ["Hello", " there", ".", " <tool_call>", '{"name": "x", "arguments": {}}', "</tool_call>"]:
                    time.sleep(self.step_seconds)
                    yield {"choices": [{"delta": {"content": word}, "finish_reason": None}]}
            yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}
        finally:
            self.closed += 1
            self._leave()


async def collect(llm: LlamaLLM, **kwargs) -> list:
    async with aclosing(llm.stream([{"role": "user", "content": "hi"}], **kwargs)) as stream:
        return [chunk async for chunk in stream]


async def test_concurrent_streams_never_overlap_on_one_model():
    stub = StubLlama()
    llm = LlamaLLM.wrap(stub)
    results = await asyncio.gather(*(collect(llm) for _ in range(4)))
    assert stub.max_active == 1
    assert all("".join(c.text for c in r) == "Hello there. " for r in results)
    assert all(r[-2].tool_call == ToolCall("x", {}, "call_0") for r in results)


async def test_cancelled_stream_frees_the_model_for_the_next_caller():
    stub = StubLlama(step_seconds=0.05)
    llm = LlamaLLM.wrap(stub)
    task = asyncio.create_task(collect(llm))
    await asyncio.sleep(0.07)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    chunks = await asyncio.wait_for(
        collect(llm, tools=[{"type": "function", "function": {"name": "book"}}], tool_choice="book"), 5
    )
    assert chunks[0].tool_call == ToolCall("book", {"day": "2025-06-03"}, "c1")
    assert stub.max_active == 1 and stub.closed == 2


async def test_complete_json_validates_against_the_schema():
    llm = LlamaLLM.wrap(StubLlama())
    schema = {"type": "object", "properties": {"intent": {"enum": ["book"]}}, "required": ["intent"]}
    assert await llm.complete_json([], schema) == {"intent": "book"}
    with pytest.raises(EngineError) as err:
        await llm.complete_json([], {"type": "object", "required": ["name"]})
    assert err.value.code == "llm_invalid_json"
