"""Assistant audio out: a streamed reply becomes sentences, speech, and 8 kHz PCM on the line,
with a record of which words went out when, so a barge-in keeps only what the caller heard.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

import numpy as np

from voicedock.audio import resample
from voicedock.engines.base import LLM, TTS, AudioChunk, LLMChunk, Message
from voicedock.engines.sentences import SentenceSplitter, first_clause_then_rest

from .base import SAMPLE_RATE, AudioPort


@dataclass(frozen=True)
class Segment:
    """One sentence on the playout timeline, measured in `AudioPort.sent_seconds`."""

    start: float
    seconds: float
    text: str


@dataclass
class Utterance:
    segments: list[Segment] = field(default_factory=list)
    on_start: Callable[[], None] | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def heard_text(self, sent_seconds: float) -> str:
        """Whole sentences already played, plus the share of words of the one cut off."""
        words: list[str] = []
        for seg in self.segments:
            if sent_seconds >= seg.start + seg.seconds - 1e-6:
                words += seg.text.split()
                continue
            if sent_seconds > seg.start and seg.seconds > 0:
                parts = seg.text.split()
                words += parts[: int(len(parts) * (sent_seconds - seg.start) / seg.seconds)]
            break
        return " ".join(words)


LEADING_SILENCE_LEVEL = 300  # |sample| below this before the first sound is not worth sending
LEADING_SILENCE_KEEP = 80  # samples (10 ms) kept before the first sound, so its onset is not clipped


def trim_leading_silence(pcm: np.ndarray) -> np.ndarray:
    """Drop the near-silence TTS puts before the first word of an utterance (20-60 ms with Piper):
    the caller hears the reply that much sooner."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= LEADING_SILENCE_LEVEL)
    if not len(loud):
        return pcm
    return pcm[max(0, int(loud[0]) - LEADING_SILENCE_KEEP):]


class Playout:
    """Wraps the AudioPort's output with a timeline of what was queued."""

    def __init__(self, audio: AudioPort) -> None:
        self.audio = audio
        self.queued_until = 0.0

    def send(self, chunk: AudioChunk, utterance: Utterance) -> None:
        pcm = chunk.pcm16
        if chunk.rate != SAMPLE_RATE:
            pcm = resample(pcm, chunk.rate, SAMPLE_RATE)  # soxr: about 1 ms per sentence
        pcm = np.asarray(pcm, dtype=np.int16)
        if not utterance.segments:
            pcm = trim_leading_silence(pcm)
        if not len(pcm):
            return
        start = max(self.queued_until, self.audio.sent_seconds)
        if not utterance.segments and utterance.on_start is not None:
            utterance.on_start()
        self.audio.send_pcm(pcm)
        self.queued_until = start + len(pcm) / SAMPLE_RATE
        utterance.segments.append(Segment(start, len(pcm) / SAMPLE_RATE, chunk.text))

    def clear(self) -> int:
        dropped = self.audio.clear_output()
        self.queued_until = self.audio.sent_seconds
        return dropped

    def pause(self) -> None:
        """Hold the output: `sent_seconds`, and so the timeline, stands still until `resume`."""
        self.audio.pause_output()

    def resume(self) -> None:
        self.audio.resume_output()

    @property
    def playing(self) -> bool:
        return self.audio.sent_seconds < self.queued_until - 1e-3


@dataclass
class Timings:
    """Marks on the session clock; the turn's latency figures are differences of these."""

    marks: dict[str, float] = field(default_factory=dict)
    # The caller's last voice + `wait_seconds`: the reply's first audio is held until then. With an
    # end-of-turn model the turn may end sooner than that; the assistant still never answers sooner.
    speak_not_before: float = 0.0
    # When the reply audio queued so far has played out: a caller who gives up after that was
    # left waiting in silence (a reply paused after its first words), not talked to.
    audio_until: float = 0.0

    def mark(self, name: str, at: float) -> None:
        self.marks.setdefault(name, at)

    def ms(self, start: str, end: str) -> float:
        if start not in self.marks or end not in self.marks:
            return 0.0
        return round(max(0.0, self.marks[end] - self.marks[start]) * 1000.0, 1)


async def speak_text(
    tts: TTS,
    text: str,
    playout: Playout,
    utterance: Utterance,
    clock: Callable[[], float],
    timings: Timings | None = None,
) -> None:
    """Speak fixed text (first message, `say`, answers from the facts) sentence by sentence, the
    first clause on its own so the first audio waits for the least synthesis."""
    timings = timings or Timings()
    timings.mark("tts_start", clock())
    for piece in first_clause_then_rest(text):
        async with aclosing(tts.synthesize(piece)) as audio:  # type: ignore[type-var]
            async for chunk in audio:
                await _send(chunk, playout, utterance, clock, timings)
    playout.audio.flush()


async def _send(chunk: AudioChunk, playout: Playout, utterance: Utterance, clock: Callable[[], float],
                timings: Timings) -> None:
    """Queue one piece of the reply (the first one held until `speak_not_before`), noting when the
    audio queued so far will have played out."""
    if "first_audio" not in timings.marks and (wait := timings.speak_not_before - clock()) > 0:
        await asyncio.sleep(wait)
    timings.mark("first_audio", clock())
    playout.send(chunk, utterance)
    timings.audio_until = clock() + max(0.0, playout.queued_until - playout.audio.sent_seconds)


_DONE = object()


async def speak_stream(
    llm: LLM,
    tts: TTS,
    messages: Sequence[Message],
    playout: Playout,
    utterance: Utterance,
    clock: Callable[[], float],
    timings: Timings,
    *,
    max_tokens: int,
    temperature: float,
    skip: Callable[[str], bool] | None = None,
    written_ahead: AsyncIterator[LLMChunk] | None = None,
) -> str:
    """Generate and speak at once: the LLM runs ahead in a task while TTS speaks finished sentences.

    Returns the full text the model wrote; cancelling this stops generation and synthesis. A
    sentence `skip` accepts is not spoken (a small model repeats its greeting in every reply).
    `written_ahead`: the reply to these `messages`, begun before the turn (prepared.py), read
    instead of a new generation.
    """
    sentences: asyncio.Queue[object] = asyncio.Queue()
    written: list[str] = []

    async def produce() -> None:
        splitter = SentenceSplitter(first_clause=True)
        try:
            timings.mark("llm_start", clock())
            stream = written_ahead if written_ahead is not None else llm.stream(
                messages, None, max_tokens=max_tokens, temperature=temperature)
            async with aclosing(stream) as chunks:  # type: ignore[type-var]
                async for chunk in chunks:
                    if chunk.text:
                        timings.mark("llm_first_token", clock())
                        written.append(chunk.text)
                        for sentence in splitter.feed(chunk.text):
                            sentences.put_nowait(sentence)
            if tail := splitter.flush():
                sentences.put_nowait(tail)
        except Exception as err:  # handed to the consumer, which raises it in the turn
            sentences.put_nowait(err)
        finally:
            sentences.put_nowait(_DONE)

    producer = asyncio.create_task(produce())
    try:
        while (item := await sentences.get()) is not _DONE:
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, str)
            if skip is not None and skip(item):
                continue
            timings.mark("tts_start", clock())
            async with aclosing(tts.synthesize(item)) as audio:  # type: ignore[type-var]
                async for chunk in audio:
                    await _send(chunk, playout, utterance, clock, timings)
        playout.audio.flush()
    finally:
        if not producer.done():
            producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
    return "".join(written).strip()
