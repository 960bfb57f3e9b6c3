"""A reply begun before the caller's turn has surely ended.

The caller's words are transcribed about 0.25 s into their pause, but the end of their turn is
decided later: at the end-of-turn models' verdict, or only at the longest wait (1.0 s) when
neither is sure ("Sorry, actually I just need a loaf of bread." over the assistant). A reply that
needs the model is then written only after that, and its first clause takes another 150-250 ms
on two cores. Begun at the transcript instead, it is written while the verdict is awaited; the
turn that ends with the same words speaks what is written and reads the rest from the same
generation. Decoding is greedy, so it is the reply the turn would have written.

Dropped unspoken when the caller goes on, and when their turn is answered another way (a fact
from the instructions). Only for a local model: a hosted one would bill replies never spoken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from voicedock.engines.base import LLM, LLMChunk, Message


class PreparedReply:
    """One reply being generated ahead of its turn; `take` hands its chunks to the turn."""

    def __init__(self, llm: LLM, messages: Sequence[Message], *, max_tokens: int, temperature: float,
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]) -> None:
        self.messages = [dict(m) for m in messages]
        self._chunks: list[LLMChunk] = []
        self._error: Exception | None = None
        self._done = False
        self._more = asyncio.Event()
        self._taken = False
        self._task = spawn(self._generate(llm, max_tokens, temperature))

    async def _generate(self, llm: LLM, max_tokens: int, temperature: float) -> None:
        try:
            stream = llm.stream(self.messages, None, max_tokens=max_tokens, temperature=temperature)
            async with contextlib.aclosing(stream) as chunks:  # type: ignore[type-var]
                async for chunk in chunks:
                    self._chunks.append(chunk)
                    self._more.set()
        except Exception as err:  # the turn that takes it raises it, as its own stream would have
            self._error = err
        finally:
            self._done = True
            self._more.set()

    def fits(self, messages: Sequence[Message]) -> bool:
        """Written for exactly this request, and still being written or written whole."""
        return not self._taken and not self._task.cancelled() and [dict(m) for m in messages] == self.messages

    def take(self) -> AsyncIterator[LLMChunk]:
        """The reply's chunks, those written already at once. The taker drops it when done with
        it: an iterator never started would not run a `finally` of its own."""
        self._taken = True
        return self._read()

    async def _read(self) -> AsyncIterator[LLMChunk]:
        sent = 0
        while True:
            if sent < len(self._chunks):
                sent += 1
                yield self._chunks[sent - 1]
                continue
            if self._done:
                if self._error is not None:
                    raise self._error
                return
            self._more.clear()
            await self._more.wait()

    def drop(self) -> None:
        """Stop writing it (the LLM stream is closed, the model let go)."""
        self._task.cancel()


class NextReply:
    """The one reply a session has written ahead, if any: begun anew at each pause, taken by the
    turn whose request it fits, dropped otherwise."""

    def __init__(self) -> None:
        self._reply: PreparedReply | None = None

    def begin(self, llm: LLM, messages: Sequence[Message], *, max_tokens: int, temperature: float,
              spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]) -> None:
        self.drop()
        self._reply = PreparedReply(llm, messages, max_tokens=max_tokens, temperature=temperature, spawn=spawn)

    def take(self, messages: Sequence[Message]) -> PreparedReply | None:
        """The reply written ahead for the request `messages`; one written for another is dropped."""
        reply, self._reply = self._reply, None
        if reply is None or reply.fits(messages):
            return reply
        reply.drop()
        return None

    def drop(self) -> None:
        """The caller went on, or their turn is answered another way: the reply written ahead is not."""
        if self._reply is not None:
            self._reply.drop()
            self._reply = None
