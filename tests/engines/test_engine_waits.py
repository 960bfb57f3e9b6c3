"""Where concurrent turns queue, on the real ci LLM: the wait of a request behind another reaches
`/metrics`, and a live turn goes ahead of background work queued before it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voicedock.engines.base import Message
from voicedock.engines.llm_llama import LlamaLLM
from voicedock.engines.waits import WAITS
from voicedock.metrics import Metrics

pytestmark = pytest.mark.models

QUESTION: list[Message] = [{"role": "user", "content": "Tell me a short story about a cat."}]


@pytest.fixture
async def llm(ci_llm_path: Path) -> AsyncIterator[LlamaLLM]:
    engine = LlamaLLM(ci_llm_path, n_ctx=2048, n_threads=2)
    yield engine
    engine.close()


async def reply(llm: LlamaLLM, messages: list[Message], tokens: int = 24) -> float:
    """Generate; the time it finished."""
    async for _ in llm.stream(messages, max_tokens=tokens):
        pass
    return time.perf_counter()


async def test_a_turn_behind_another_shows_its_wait_on_metrics(llm: LlamaLLM) -> None:
    metrics = Metrics()
    stop = WAITS.listen(metrics.observe_wait)
    try:
        started = time.perf_counter()
        first = asyncio.create_task(reply(llm, QUESTION))
        await asyncio.sleep(0.05)
        await reply(llm, [{"role": "user", "content": "Say hello."}], tokens=4)
        first_done = await first
    finally:
        stop()
    text = metrics.exposition()[0].decode()
    # both turns' waits, and the first's again each time it let the second go first between sentences
    count = float(text.split('voicedock_engine_wait_seconds_count{stage="llm"} ')[1].split()[0])
    assert count >= 2
    total = float(text.split('voicedock_engine_wait_seconds_sum{stage="llm"} ')[1].split()[0])
    assert total >= 0.1 * (first_done - started), "the second turn's wait behind the first is missing"


async def test_a_live_turn_goes_ahead_of_background_work_queued_before_it(llm: LlamaLLM) -> None:
    async def warm() -> tuple[bool, float]:
        warmed = await llm.warm([{"role": "system", "content": "You are a ferry timetable line. " * 20}])
        return warmed, time.perf_counter()

    running = asyncio.create_task(reply(llm, QUESTION))
    await asyncio.sleep(0.05)
    background = asyncio.create_task(warm())  # queued first, behind the running turn
    await asyncio.sleep(0.05)
    live_done = await reply(llm, [{"role": "user", "content": "Say hello."}], tokens=4)
    await running
    warmed, warm_done = await background
    assert warmed and len(llm.prompts) == 1, "the background work must still finish, its head kept"
    assert live_done < warm_done, "background work went ahead of a live turn"
