"""Turn a streamed LLM reply into speech, sentence by sentence, while the reply is still being written.

The first sentence is synthesized as soon as it is complete, so the caller hears the assistant
after one sentence's worth of tokens rather than after the whole reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from voicedock.engines.base import LLM, TTS, AudioChunk, Message, Tool, ToolCall
from voicedock.engines.sentences import SentenceSplitter


@dataclass(frozen=True)
class ReplyEnd:
    """Last item of a reply: the full text the LLM wrote and why it stopped."""

    text: str
    finish_reason: str


_DONE = object()


async def speak_reply(
    llm: LLM,
    tts: TTS,
    messages: Sequence[Message],
    tools: Sequence[Tool] | None = None,
    *,
    tool_choice: str | None = None,
    max_tokens: int = 256,
) -> AsyncIterator[AudioChunk | ToolCall | ReplyEnd]:
    """Yields audio chunks (each with the sentence it speaks), tool calls, then one ReplyEnd.

    Generation runs ahead in its own task; closing or cancelling this iterator stops it.
    """
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def produce() -> None:
        splitter = SentenceSplitter()
        text: list[str] = []
        finish = "stop"
        try:
            async with aclosing(llm.stream(messages, tools, tool_choice=tool_choice, max_tokens=max_tokens)) as stream:
                async for chunk in stream:
                    if chunk.text:
                        text.append(chunk.text)
                        for sentence in splitter.feed(chunk.text):
                            queue.put_nowait(sentence)
                    if chunk.tool_call:
                        queue.put_nowait(chunk.tool_call)
                    finish = chunk.finish_reason or finish
            if tail := splitter.flush():
                queue.put_nowait(tail)
            queue.put_nowait(ReplyEnd("".join(text), finish))
        except BaseException as err:  # handed to the consumer, which re-raises it
            queue.put_nowait(err)
            if isinstance(err, asyncio.CancelledError):
                raise
        finally:
            queue.put_nowait(_DONE)

    producer = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, str):
                async with aclosing(tts.synthesize(item)) as audio:
                    async for chunk in audio:
                        yield chunk
            else:
                yield item  # type: ignore[misc]
    finally:
        if not producer.done():
            producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
