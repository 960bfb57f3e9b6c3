"""Calls sharing one machine's model (the ci profile's SmolLM2): the second caller's reply begins
while the first one's is still being written, both say exactly what each would have said alone,
and post-call analysis never takes a core from a live turn."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from voicedock.engines.base import Message
from voicedock.engines.llm_llama import LlamaLLM

pytestmark = pytest.mark.models

FIRST: list[Message] = [{"role": "system", "content": "You are a helpful assistant."},
                        {"role": "user", "content": "Tell me about the sun in five short sentences."}]
SECOND: list[Message] = [{"role": "system", "content": "You answer questions about trains."},
                         {"role": "user", "content": "Describe a steam train in four short sentences."}]


async def reply(llm: LlamaLLM, messages: list[Message], marks: dict[str, float], name: str,
                began: asyncio.Event | None = None) -> str:
    text = ""
    async for chunk in llm.stream(messages, max_tokens=120):
        if chunk.text and f"{name}_first" not in marks:
            marks[f"{name}_first"] = time.perf_counter()
            if began is not None:
                began.set()
        text += chunk.text
    marks[f"{name}_end"] = time.perf_counter()
    return text


async def test_a_second_reply_starts_before_the_first_is_written_and_neither_changes(ci_llm_path: Path) -> None:
    llm = LlamaLLM(ci_llm_path, n_ctx=2048, n_threads=2, prompt_cache_bytes=64 << 20)
    try:
        alone = [await reply(llm, FIRST, {}, "a"), await reply(llm, SECOND, {}, "b")]
        marks: dict[str, float] = {}
        began = asyncio.Event()
        first = asyncio.create_task(reply(llm, FIRST, marks, "a", began))
        await began.wait()
        second = asyncio.create_task(reply(llm, SECOND, marks, "b"))
        together = [await first, await second]
    finally:
        llm.close()
    assert alone[0].count(".") >= 2 and alone[1].strip(), alone  # a reply with a sentence to give way after
    assert together == alone
    assert marks["b_first"] < marks["a_end"], "the second caller waited for the whole first reply"


async def test_a_reply_cancelled_while_it_gave_way_leaves_the_model_usable(ci_llm_path: Path) -> None:
    """The first caller hangs up while the second caller's reply has the model: the second reply is
    unchanged, and the model serves the next request."""
    llm = LlamaLLM(ci_llm_path, n_ctx=2048, n_threads=2, prompt_cache_bytes=64 << 20)
    try:
        alone = await reply(llm, SECOND, {}, "b")
        marks: dict[str, float] = {}
        began = [asyncio.Event(), asyncio.Event()]
        first = asyncio.create_task(reply(llm, FIRST, marks, "a", began[0]))
        await began[0].wait()
        second = asyncio.create_task(reply(llm, SECOND, marks, "b", began[1]))
        await began[1].wait()
        first.cancel()
        assert await second == alone
        assert (await asyncio.wait_for(reply(llm, SECOND, {}, "c"), 30)) == alone
    finally:
        llm.close()
    assert first.cancelled()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice per thread is Linux's")
def test_post_call_analysis_runs_at_the_lowest_cpu_priority_and_live_turns_do_not(ci_llm_path: Path) -> None:
    """The analysis instance's thread does all of its work (one thread) at nice 19, so the kernel
    gives live turns the cores first; the instance serving calls keeps the process's priority."""
    analysis = LlamaLLM(ci_llm_path, n_ctx=512, n_threads=1, background=True)
    calls = LlamaLLM(ci_llm_path, n_ctx=512, n_threads=1)

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    try:
        assert analysis._worker.submit(nice).result() == 19
        assert calls._worker.submit(nice).result() == os.getpriority(os.PRIO_PROCESS, 0) < 19
    finally:
        analysis.close()
        calls.close()


async def test_a_reply_does_not_stop_for_a_new_calls_prompt(ci_llm_path: Path) -> None:
    """A call starting evaluates its prompt while its greeting plays; a reply another caller is
    hearing must not stop between sentences for it, or that caller would hear a gap of seconds."""
    llm = LlamaLLM(ci_llm_path, n_ctx=2048, n_threads=2, prompt_cache_bytes=64 << 20)
    head: list[Message] = [{"role": "system", "content": "You are the booking line of Zed Garage. "
                            + "Tyre changes take one hour and cost 40 euros. " * 20}]
    try:
        marks: dict[str, float] = {}
        began = asyncio.Event()
        first = asyncio.create_task(reply(llm, FIRST, marks, "a", began))
        await began.wait()
        await llm.prefill(head)
        prefilled = time.perf_counter()
        text = await first
    finally:
        llm.close()
    assert text.count(".") >= 2
    assert marks["a_end"] <= prefilled, "the reply gave way to a call-start prefill"
