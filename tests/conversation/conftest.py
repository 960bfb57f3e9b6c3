"""Shared scripted engines for the conversation tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicedock.engines.base import LLMChunk, Message, Tool
from voicedock.engines.fakes import FakeLLM


@dataclass
class TrackingLLM(FakeLLM):
    """A FakeLLM that records how many tokens it produced and whether its stream was cut short."""

    produced: list[str] = field(default_factory=list)
    closed_early: int = 0

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]:
        finished = False
        try:
            async for chunk in super().stream(
                messages, tools, tool_choice=tool_choice, max_tokens=max_tokens, temperature=temperature
            ):
                if chunk.text:
                    self.produced.append(chunk.text)
                yield chunk
            finished = True
        finally:
            if not finished:
                self.closed_early += 1


def assistant(**fields: Any) -> dict[str, Any]:
    return {"system_prompt": "You book appointments for a dental clinic.", **fields}
