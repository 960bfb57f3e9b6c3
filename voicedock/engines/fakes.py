"""Deterministic engines for tests: scripted, instant, and recording what they were asked.

They honour the same protocols as the real engines, so a whole conversation can run in a
unit test without model files; `delay` lets a test hold a stage open to exercise barge-in.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicedock.audio import PCM16, as_int16, rms
from voicedock.engines.base import AudioChunk, EngineError, LLMChunk, Message, Tool, ToolCall, Transcript
from voicedock.engines.sentences import split_sentences


@dataclass
class FakeVAD:
    """Speech is any frame louder than `threshold` RMS, so synthetic tones and silence just work."""

    threshold: float = 500.0

    def is_speech(self, frame_pcm16: PCM16, rate: int) -> bool:
        return rms(frame_pcm16) > self.threshold


@dataclass
class FakeWordsTurn:
    """Words model that answers from `probabilities` by the words' text (`default` otherwise), and
    keeps what it was asked."""

    probabilities: dict[str, float] = field(default_factory=dict)
    default: float = 0.2
    unfinished_below: float = 0.02
    finished_from: float = 0.5
    unsure_voice_threshold: float = 0.0
    question_finished_from: float = 0.5
    asked: list[str] = field(default_factory=list)

    async def finished_probability(self, text: str) -> float:
        self.asked.append(text)
        return self.probabilities.get(text, self.default)


@dataclass
class FakeEmbedder:
    """Sentence vectors for tests. Texts that `same` maps to one name mean the same: they share a
    vector of their own, apart from every other text's. Any other text gets its lower-case words
    hashed into `dimensions` buckets, so texts close in words are close. `asked` keeps the texts;
    `error` is raised instead, when set."""

    same: dict[str, str] = field(default_factory=dict)
    dimensions: int = 64
    error: Exception | None = None
    asked: list[str] = field(default_factory=list)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.extend(texts)
        if self.error is not None:
            raise self.error
        names = sorted(set(self.same.values()))
        rows = np.zeros((len(texts), self.dimensions + len(names)), np.float32)
        for i, text in enumerate(texts):
            if text in self.same:
                rows[i, self.dimensions + names.index(self.same[text])] = 1.0
                continue
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                rows[i, sum(map(ord, word)) % self.dimensions] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms > 0, norms, 1.0)


@dataclass
class FakeTurn:
    """End-of-turn model that answers `probabilities` in order (the last one repeats) after `delay`
    seconds, and keeps the audio it was asked about."""

    probabilities: Sequence[float] = (1.0,)
    delay: float = 0.0
    threshold: float = 0.5
    check_seconds: tuple[float, ...] = (0.2,)
    max_wait_seconds: float = 2.0
    mid_phrase_wait_seconds: float = 0.0  # no longer than max_wait_seconds
    words: FakeWordsTurn | None = None
    asked: list[np.ndarray] = field(default_factory=list)

    async def complete_probability(self, pcm16: PCM16, rate: int) -> float:
        self.asked.append(as_int16(pcm16).copy())
        if self.delay:
            await asyncio.sleep(self.delay)
        return float(self.probabilities[min(len(self.asked), len(self.probabilities)) - 1])


@dataclass
class FakeSTT:
    """Returns scripted transcripts in order (the last one repeats); records the audio it got."""

    transcripts: Sequence[str] = ("hello",)
    delay: float = 0.0
    calls: list[tuple[int, int]] = field(default_factory=list)

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        samples = as_int16(pcm16)
        self.calls.append((len(samples), rate))
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self.transcripts[min(len(self.calls), len(self.transcripts)) - 1]
        return Transcript(text=text, language="en", audio_seconds=len(samples) / rate)


Reply = str | ToolCall | Exception | Callable[[Sequence[Message]], str]
"""A scripted LLM turn: text to stream word by word, a tool call to make, an error to raise, or a
function of the request's messages giving the text (a reply that depends on a tool's result)."""


@dataclass
class FakeLLM:
    """Plays `replies` one per `stream` call; `json_replies` one per `complete_json` call.

    It records the tokens it streamed (`produced`) and how many streams were closed before their
    end (`closed_early`), so tests see that a barge-in really stopped generation.
    """

    replies: Iterable[Reply] = ("Hello! How can I help you today?",)
    json_replies: Iterable[Mapping[str, Any]] = ()
    token_delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    prefilled: list[list[Message]] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)
    closed_early: int = 0

    def __post_init__(self) -> None:
        self._replies: deque[Reply] = deque(self.replies)
        self._json: deque[Mapping[str, Any]] = deque(self.json_replies)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]:
        self.requests.append({"messages": list(messages), "tools": list(tools or []), "tool_choice": tool_choice})
        reply = self._replies.popleft() if len(self._replies) > 1 else (self._replies[0] if self._replies else "")
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, ToolCall):
            yield LLMChunk(tool_call=reply)
            yield LLMChunk(finish_reason="tool_calls")
            return
        text = reply if isinstance(reply, str) else reply(messages)
        finished = False
        try:
            for token in re.findall(r"\S+\s*|\s+", text)[:max_tokens]:
                await asyncio.sleep(self.token_delay)
                self.produced.append(token)
                yield LLMChunk(text=token)
            yield LLMChunk(finish_reason="stop")
            finished = True
        finally:
            if not finished:
                self.closed_early += 1

    async def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], *, max_tokens: int = 256
    ) -> dict[str, Any]:
        self.requests.append({"messages": list(messages), "schema": dict(schema)})
        props = set(schema.get("properties") or {})
        for reply in list(self._json):  # the next reply that fits the question asked (intent or arguments)
            if not props or not reply or set(reply) <= props:
                self._json.remove(reply)
                return dict(reply)
        raise EngineError("llm_invalid_json", "FakeLLM has no scripted JSON reply for this schema left")

    async def prefill(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> float:
        self.prefilled.append(list(messages))
        return 0.0


@dataclass
class FakeTTS:
    """A 440 Hz tone per sentence, `seconds_per_char` long, so playback time follows text length."""

    rate: int = 8000
    seconds_per_char: float = 0.05
    delay: float = 0.0
    spoken: list[str] = field(default_factory=list)

    @property
    def output_rate(self) -> int:
        return self.rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        for sentence in split_sentences([text]):
            if self.delay:
                await asyncio.sleep(self.delay)
            self.spoken.append(sentence)
            n = max(1, int(len(sentence) * self.seconds_per_char * self.rate))
            tone = (np.sin(2 * np.pi * 440 * np.arange(n) / self.rate) * 8000).astype(np.int16)
            yield AudioChunk(pcm16=tone, rate=self.rate, text=sentence)
