"""Chat LLM on llama.cpp (llama-cpp-python), streaming, with warm prompt caches.

On a CPU the prompt dominates latency: a system prompt with tools costs seconds to evaluate,
while llama.cpp reuses the longest common token prefix of the previous request from its KV cache.
`prefill()` evaluates a prompt head once and keeps its state (`PrefixCache`, LRU, bounded in bytes),
so a turn only pays for the new tokens even when other assistants used the model in between.
`warm()` does the same in the background: it waits while a live request waits or runs, and gives
way to one between chunks of `WARM_CHUNK` tokens, keeping what it had evaluated.

One `Llama` instance must never run two generations at once (llama.cpp crashes), so every
call into it goes through a single worker thread, and a generation holds `_busy` from its
first token until that worker has closed it, even when the consumer is cancelled midway. The one
exception: between two sentences of a reply, while another caller's turn waits, the reply saves
its state and lets go of the model (`_give_way`), so concurrent calls take turns by sentences.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from voicedock.engines.base import EngineError, LLMChunk, Message, Tool, ToolCall
from voicedock.engines.llama_heads import Interrupted, LlamaHeads
from voicedock.engines.prompt_cache import DEFAULT_MAX_BYTES, PrefixCache
from voicedock.engines.sentences import SentenceSplitter
from voicedock.engines.tool_text import ToolTextFilter
from voicedock.engines.waits import WAITS

T = TypeVar("T")
WARM_CHUNK = 32  # tokens a background evaluation decodes before it checks for a waiting turn (~0.2 s on 2 cores)
HAND_OVER_SECONDS = 0.05  # how long a reply that gave way waits for the waiting turn to take the model


def lowest_cpu_priority() -> None:
    """The calling thread only, at nice 19: the kernel gives it a core only when nothing else wants
    one. With one thread llama.cpp computes on the thread that calls it, so this is all of its work.
    Measured on 2 cores, Qwen 0.5B: a live reply of 60 tokens took 3.2 s alone, 7.5-8.9 s beside an
    analysis generating on another instance, and 3.0-3.3 s beside the same analysis at nice 19.
    Linux sets nice per thread; elsewhere it would lower the whole process, so nothing is done there."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class LlamaLLM:
    """`n_gpu_layers=-1` offloads everything when llama-cpp-python was built with CUDA."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 2048,
        n_threads: int = 2,
        n_gpu_layers: int = 0,
        chat_format: str | None = None,
        seed: int = 0,
        prompt_cache_bytes: int = DEFAULT_MAX_BYTES,
        background: bool = False,
    ) -> None:
        """`background`: work nobody is waiting for (post-call analysis) on an instance of its own,
        which must never slow a live turn: its worker thread runs at the lowest CPU priority."""
        from llama_cpp import Llama

        path = Path(model_path)
        if not path.is_file():
            raise EngineError("model_missing", f"GGUF model {path} is missing (run scripts/install-models)")
        self._setup(
            Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=n_gpu_layers,
                chat_format=chat_format,
                seed=seed,
                verbose=False,
            ),
            prompt_cache_bytes,
            background,
        )

    @classmethod
    def wrap(cls, llama: Any) -> LlamaLLM:
        """Use an already constructed `Llama` (or a stand-in with `create_chat_completion`)."""
        self = cls.__new__(cls)
        self._setup(llama)
        return self

    def _setup(self, llama: Any, prompt_cache_bytes: int = 0, background: bool = False) -> None:
        self.llama = llama
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama",
                                          initializer=lowest_cpu_priority if background else None)
        self._busy = threading.Lock()
        self._live_waiting = 0  # live requests waiting for the model; background work gives way to them
        self._turns_waiting = 0  # of those, a caller's turn (a reply, a decision): a reply gives way to them
        self._count_lock = threading.Lock()
        self.last_stats: dict[str, float] = {}
        self.prompts = PrefixCache(prompt_cache_bytes)
        self.heads = LlamaHeads(llama, self.prompts) if hasattr(llama, "_ctx") else None

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(fn, *args, **kwargs))

    async def _acquire(self, background: bool = False, turn: bool = True) -> None:
        """Wait for the model without blocking the loop. The lock is released from the worker thread
        and callers may live on different event loops, so an asyncio primitive cannot be used.
        Background work takes it only while no live request waits. A reply between two sentences
        lets a waiting `turn` go first, not a call-start prefill: seconds of a new call's prompt
        would leave a gap in the middle of the reply. The wait goes to `WAITS`."""
        queued = time.perf_counter()
        if background:
            while self._live_waiting or not self._busy.acquire(blocking=False):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            WAITS.observe("llm_background", time.perf_counter() - queued)
            return
        self._waiting(+1, turn)
        try:
            await self._take()
        finally:
            self._waiting(-1, turn)
        WAITS.observe("llm", time.perf_counter() - queued)

    async def _take(self) -> None:
        """Until this request holds the model; every 5 ms, as live requests poll."""
        while not self._busy.acquire(blocking=False):  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    def _waiting(self, change: int, turn: bool = True) -> None:
        with self._count_lock:
            self._live_waiting += change
            if turn:
                self._turns_waiting += change

    def _release_after(self, generator: Any) -> None:
        """Queued behind any in-flight step, so the model is free only once it really is."""

        def finish() -> None:
            try:
                if generator is not None:
                    generator.close()
            finally:
                self._busy.release()

        self._worker.submit(finish)

    @staticmethod
    def _chat_kwargs(
        messages: Sequence[Message], tools: Sequence[Tool] | None, tool_choice: str | None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"messages": [dict(m) for m in messages]}
        if tools:
            kwargs["tools"] = [dict(t) for t in tools]
            if tool_choice and tool_choice not in ("auto", "none"):
                kwargs["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
        return kwargs

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]:
        """Reply text as it is generated; a forced `tool_choice` (a tool name) yields one grammar-
        constrained ToolCall, and calls the model writes inline are parsed out of the text."""
        kwargs = self._chat_kwargs(messages, tools, tool_choice)
        await self._acquire()
        generator = None
        held = [True]  # whether this generation holds the model; it lets go of it between sentences
        try:
            started = time.perf_counter()
            generator = await self._run(
                self.llama.create_chat_completion, stream=True, max_tokens=max_tokens, temperature=temperature, **kwargs
            )
            sentences = SentenceSplitter(first_clause=True)
            async for chunk in self._chunks(generator, started):
                yield chunk
                if chunk.text and sentences.feed(chunk.text) and self._turns_waiting and self.heads is not None:
                    await self._give_way(held)
        except (asyncio.CancelledError, GeneratorExit, EngineError):
            raise
        except Exception as err:
            raise EngineError("llm_failed", f"generation failed: {err}") from err
        finally:
            if held[0]:
                self._release_after(generator)
            elif generator is not None:
                self._worker.submit(generator.close)

    async def _give_way(self, held: list[bool]) -> None:
        """Between sentences of a reply, let a live turn that waits for the model (another call's)
        have its first sentence, then go on exactly where this reply stopped.

        One `Llama` generates one reply at a time; without this, a caller whose turn came while
        another call's reply was being written waited for all of it (seconds on a CPU), though the
        other caller was still hearing its first sentence. The reply's sequence state is saved and
        restored around the other turn, with its own sampler (llama-cpp-python keeps the sampler of
        the newest generation on the `Llama`)."""
        assert self.heads is not None
        heads = self.heads
        saved = await self._run(heads.save)
        sampler = getattr(self.llama, "_sampler", None)
        self._waiting(+1)  # a live request from now on: background work never slips in between
        try:
            held[0] = False
            self._busy.release()  # between two steps: nothing of this reply is running on the worker
            queued = time.perf_counter()
            while not self._busy.locked() and time.perf_counter() < queued + HAND_OVER_SECONDS:  # noqa: ASYNC110
                await asyncio.sleep(0.005)  # the waiting turn polls as often; let it take the model first
            await self._take()
            held[0] = True
        finally:
            self._waiting(-1)
        WAITS.observe("llm", time.perf_counter() - queued)

        def resume() -> None:
            if heads.live_tokens() != list(saved.tokens):
                heads.restore(saved)
            self.llama._sampler = sampler

        await self._run(resume)

    async def _chunks(self, generator: Any, started: float) -> AsyncIterator[LLMChunk]:
        text_filter = ToolTextFilter()
        forced: dict[int, dict[str, str]] = {}
        first_token: float | None = None
        tokens = 0
        finish: str | None = None
        while (raw := await self._run(next, generator, None)) is not None:
            choice = raw["choices"][0]
            delta = choice.get("delta") or {}
            finish = choice.get("finish_reason") or finish
            for call in delta.get("tool_calls") or []:
                slot = forced.setdefault(call.get("index", 0), {"name": "", "arguments": "", "id": ""})
                fn = call.get("function") or {}
                slot["name"] = slot["name"] or fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
                slot["id"] = slot["id"] or call.get("id") or ""
            content = delta.get("content") or ""
            if content or delta.get("tool_calls"):
                tokens += 1
                first_token = first_token or time.perf_counter()
            if content and (visible := text_filter.feed(content)):
                yield LLMChunk(text=visible)
        if tail := text_filter.flush():
            yield LLMChunk(text=tail)
        calls = [self._forced_call(slot) for _, slot in sorted(forced.items())] or text_filter.tool_calls()
        for call in calls:
            yield LLMChunk(tool_call=call)
        ended = time.perf_counter()
        self.last_stats = {
            "ttft_seconds": (first_token or ended) - started,
            "tokens": float(tokens),
            "tokens_per_second": (tokens - 1) / (ended - first_token)
            if first_token and tokens > 1 and ended > first_token
            else 0.0,
        }
        yield LLMChunk(finish_reason="tool_calls" if calls else (finish or "stop"))

    @staticmethod
    def _forced_call(slot: dict[str, str]) -> ToolCall:
        try:
            arguments = json.loads(slot["arguments"] or "{}")
        except ValueError as err:
            raise EngineError(
                "llm_bad_tool_call", f"tool call arguments are not JSON: {slot['arguments'][:200]!r}"
            ) from err
        return ToolCall(name=slot["name"], arguments=arguments, id=slot["id"])

    async def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], *, max_tokens: int = 256
    ) -> dict[str, Any]:
        """An object that matches `schema`: llama.cpp constrains sampling with a grammar built from it,
        and the result is validated again because grammars cannot express every keyword."""
        import jsonschema

        await self._acquire()
        try:
            result = await self._run(
                self.llama.create_chat_completion,
                messages=[dict(m) for m in messages],
                response_format={"type": "json_object", "schema": dict(schema)},
                max_tokens=max_tokens,
                temperature=0.0,
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:
            raise EngineError("llm_failed", f"structured generation failed: {err}") from err
        finally:
            self._release_after(None)
        content = result["choices"][0]["message"].get("content") or ""
        try:
            data = json.loads(content)
            jsonschema.validate(data, dict(schema))
        except (ValueError, jsonschema.ValidationError) as err:
            raise EngineError(
                "llm_invalid_json", f"model output does not match the schema: {err}", retryable=True
            ) from err
        if not isinstance(data, dict):
            raise EngineError("llm_invalid_json", "model output is not a JSON object", retryable=True)
        return data

    async def prefill(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> float:
        """Evaluate the fixed head of the conversation (system prompt, tools) into the KV cache and keep
        its state. Returns the seconds it took; later requests that start with the same messages skip them.
        """
        kwargs = self._chat_kwargs(messages, tools, None)
        await self._acquire(turn=False)
        started = time.perf_counter()
        try:
            if self.heads is None:
                await self._run(self.llama.create_chat_completion, max_tokens=1, temperature=0.0, **kwargs)
            else:
                await self._run(self._evaluate_head, kwargs, self.llama.n_batch, lambda: False)
        finally:
            self._release_after(None)
        return time.perf_counter() - started

    async def warm(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> bool:
        """`prefill` as background work: never ahead of a live request. True once the head is cached;
        False if a live request came first (what was evaluated is kept; calling again goes on from it)."""
        if self.heads is None:
            return False
        kwargs = self._chat_kwargs(messages, tools, None)
        await self._acquire(background=True)
        try:
            await self._run(self._evaluate_head, kwargs, WARM_CHUNK, lambda: self._live_waiting > 0)
            return True
        except Interrupted:
            return False
        finally:
            self._release_after(None)

    def _evaluate_head(self, kwargs: dict[str, Any], chunk: int, give_way: Callable[[], bool]) -> None:
        assert self.heads is not None
        tokens = self.heads.prompt_tokens(self.llama.create_chat_completion, max_tokens=1, **kwargs)
        self.heads.evaluate(tokens, chunk, give_way)

    def close(self) -> None:
        """Free the model's memory; the engine is unusable afterwards."""
        self._worker.shutdown(wait=True)
        self.llama.close()
