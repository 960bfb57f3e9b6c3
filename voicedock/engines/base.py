"""Engine protocols and the small value types that cross them.

The call pipeline depends only on these, so a test can swap any real engine for a scripted fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voicedock.audio import PCM16

Message = Mapping[str, Any]
"""An OpenAI-style chat message: {"role": "system"|"user"|"assistant"|"tool", "content": ...}."""

Tool = Mapping[str, Any]
"""An OpenAI-style tool: {"type": "function", "function": {"name", "description", "parameters"}}."""


class EngineError(Exception):
    """An engine failure with a machine-readable code, so callers can decide without parsing text."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Transcript:
    """What the caller said; `no_speech_prob` lets the pipeline drop noise Whisper turned into words."""

    text: str
    language: str | None = None
    audio_seconds: float = 0.0
    no_speech_prob: float = 0.0
    elapsed_seconds: float = 0.0


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for; arguments are already parsed JSON."""

    name: str
    arguments: dict[str, Any]
    id: str = ""


@dataclass(frozen=True)
class LLMChunk:
    """One streamed piece of a reply: text, a finished tool call, or the final reason."""

    text: str = ""
    tool_call: ToolCall | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class AudioChunk:
    """Speech for one sentence; `text` is what it says, so barge-in can keep only what was heard."""

    pcm16: np.ndarray
    rate: int
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.pcm16) / self.rate if self.rate else 0.0


@runtime_checkable
class VAD(Protocol):
    """Frame-level speech detector; cheap enough to call on every 10-30 ms frame on the event loop."""

    def is_speech(self, frame_pcm16: PCM16, rate: int) -> bool: ...


@runtime_checkable
class StreamingVAD(VAD, Protocol):
    """A VAD whose decisions depend on earlier frames (a recurrent model): each call needs its own
    stream, or one caller's audio would colour another's decisions."""

    def stream(self) -> VAD: ...


def vad_for_call(vad: VAD) -> VAD:
    """The detector one call feeds: its own stream where the engine keeps state between frames."""
    return vad.stream() if isinstance(vad, StreamingVAD) else vad


class WordsTurnDetector(Protocol):
    """End of turn from the words so far: the probability that they end a sentence. Below
    `unfinished_below` (for three words or more) they do not; from `finished_from` they do; in
    between, the voice model must reach `unsure_voice_threshold` (`endpointing.end_verdict`)."""

    unfinished_below: float
    finished_from: float
    unsure_voice_threshold: float  # the voice model's threshold where this model cannot tell
    question_finished_from: float  # `finished_from` for words the STT ended with a question mark

    async def finished_probability(self, text: str) -> float: ...


@runtime_checkable
class TurnDetector(Protocol):
    """End-of-turn model, asked at the caller's short pauses whether they have finished.

    `check_seconds` are the silences (after speech) at which it is asked, `max_wait_seconds` the
    silence that ends a turn whatever it said, `threshold` the probability that counts as finished,
    `mid_phrase_wait_seconds` that longest silence once the words so far stop mid-phrase.
    `words`, where the profile has one, judges the transcript of the words up to the pause too.
    """

    threshold: float
    check_seconds: tuple[float, ...]
    max_wait_seconds: float
    mid_phrase_wait_seconds: float
    words: WordsTurnDetector | None

    async def complete_probability(self, pcm16: PCM16, rate: int) -> float: ...


@runtime_checkable
class STT(Protocol):
    """Whole-utterance transcription, called once the endpointer says the caller stopped."""

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript: ...


@runtime_checkable
class LLM(Protocol):
    """Chat model; `stream` for the spoken reply, `complete_json` for schema-valid structured output."""

    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool] | None = None,
        *,
        tool_choice: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> AsyncIterator[LLMChunk]: ...

    async def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], *, max_tokens: int = 256
    ) -> dict[str, Any]: ...

    async def prefill(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> float: ...


class Embedder(Protocol):
    """Sentence meaning as unit vectors (rows, one per text): the cosine of two texts is the dot
    product of theirs. The facts look-up asks it which instruction line a question is about."""

    async def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class TTS(Protocol):
    """Text to speech, one chunk per sentence so playback starts before the whole reply is rendered."""

    @property
    def output_rate(self) -> int: ...

    def synthesize(self, text: str) -> AsyncIterator[AudioChunk]: ...
