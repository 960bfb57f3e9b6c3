"""Caller audio in, turn events out: VAD on every frame, the pure `Endpointer`, and a clock.

Frames stop arriving while the far end suppresses silence, so a gap with no frame counts as
silence on the session's own clock; otherwise a caller's turn would never end on such lines.
With an end-of-turn model the listener asks it at the caller's short pauses (in a worker thread,
while frames keep coming) and ends the turn as soon as it says the caller has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from voicedock.audio import rms
from voicedock.engines.base import VAD, TurnDetector
from voicedock.engines.endpointing import Endpointer, EndpointEvent, WordsRule, end_verdict

from .base import SAMPLE_RATE, AudioPort, Pcm

GAP_SECONDS = 0.1  # no frame for this long counts as this much silence
PREROLL_SECONDS = 1.0
"""Audio kept from before speech was confirmed, so the first word is not lost. Silero's decision
flickers over a soft first word ("Perfect, thank you!" through µ-law: 5 frames voiced, 3 not, 3
voiced, ...), so 0.15 s of voice in a row may come only 0.7 s after the caller began; with 0.3 s
kept, 11 of 60 dev-set caller lines (Piper, µ-law) lost part of their start, and through a real
call "Perfect, thank you!" was heard as "Thank you."; with 1.0 s none did. Whisper ignores the
silence this adds."""
TURN_PREROLL_SECONDS = 0.3
"""What the end-of-turn model hears of that audio before speech was confirmed: more leading silence
makes Smart Turn call more mid-sentence pauses the end (on the false-cut-off set, 22 of 48 paused
utterances cut off with 1.0 s, 19 with 0.3 s), so it keeps hearing what it always heard."""
PAUSE_SECONDS = 0.1  # silence after speech that may be the end of the turn: transcription can start
# Voiced frames in a row that pause the assistant's audio (`SpeechOnset`). The endpointer wants
# 150 ms before it calls it speech; a pause is undone at once when it was noise, so it may come
# sooner. Silero's first voiced window comes 40-100 ms after a voice begins (its 32 ms windows
# and its ramp), so two frames of it here, and about 40 ms through the line, leave the caller
# hearing the assistant stop about 100 ms after they began.
ONSET_SECONDS = 0.04
# A frame quieter than this RMS (about -44 dBFS) is silence whatever the VAD says. WebRTC VAD keeps
# reporting speech for 100-200 ms after a voice has faded out (its hangover); telephone speech sits
# far above this level (about -20 to -30 dBFS), and line noise loud enough to pass it is still
# judged by the VAD. Endpointing then starts counting when the caller actually stops.
ENERGY_FLOOR = 200.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechStarted:
    at: float


@dataclass(frozen=True)
class SpeechOnset:
    """`ONSET_SECONDS` of voice in a row, before speech is confirmed or after a `SpeechPaused`:
    the caller may be starting to talk, and an assistant speaking over them pauses at once."""

    at: float


@dataclass(frozen=True)
class SpeechPaused:
    """The caller has been silent for `PAUSE_SECONDS`; `pcm` is the utterance so far.

    If the turn ends without further speech, its `SpeechEnded` carries the same `pause` number,
    and a transcript of this audio is the transcript of the turn (only silence came after it).
    """

    at: float
    pcm: Pcm
    pause: int


@dataclass(frozen=True)
class SpeechEnded:
    at: float
    pcm: Pcm
    last_voice_at: float
    pause: int | None = None  # the `SpeechPaused` this turn's audio ends with, if any
    by_model: bool = False  # the end-of-turn model ended it (else the silence ran out)


@dataclass(frozen=True)
class MediaEnded:
    at: float


ListenEvent = SpeechOnset | SpeechStarted | SpeechPaused | SpeechEnded | MediaEnded


class Listener:
    def __init__(
        self,
        audio: AudioPort,
        vad: VAD,
        endpointer: Endpointer,
        clock: Callable[[], float],
        emit: Callable[[ListenEvent], None],
        turn: TurnDetector | None = None,
        early_words: Callable[[int], Awaitable[tuple[str, float | None] | None]] | None = None,
    ) -> None:
        """`early_words(pause)` is the transcript of the utterance up to that `SpeechPaused` and the
        words model's probability that it is finished (None when there is no transcript): words
        that stop mid-phrase keep the turn open whatever the voice says, and words the words model
        finds finished end it (`words_verdict`)."""
        self.audio = audio
        self.vad = vad
        self.endpointer = endpointer
        self.clock = clock
        self.emit = emit
        self.turn = turn
        self.early_words = early_words
        self._asking: set[asyncio.Future[tuple[bool, bool]]] = set()
        self._preroll: deque[Pcm] = deque(maxlen=max(1, int(PREROLL_SECONDS / 0.02)))
        self._speech: list[Pcm] = []
        self._voice_end = 0  # frames of `_speech` up to the last voiced one: what the turn model hears
        self._turn_from = 0  # the first frame of `_speech` the turn model hears
        self._voiced = 0.0  # speech seconds in this utterance, trailing silence not counted
        self.voiced_total = 0.0  # speech seconds in the whole call, counted the same way
        self._run = 0.0  # voiced seconds in a row
        self._onset_due = True  # a `SpeechOnset` may be reported (none since the last silence or pause)
        self.last_voice_at = 0.0
        self._pauses = 0
        self._pause: int | None = None  # the pause the utterance currently ends with

    @property
    def in_speech(self) -> bool:
        return self.endpointer.in_speech

    @property
    def voiced(self) -> float:
        """Speech seconds in the caller's current (or last) utterance."""
        return self._voiced

    def unfinished(self) -> Pcm | None:
        """The caller's utterance so far while it has not ended (the call ends in the middle of it)."""
        return _join(self._speech) if self.endpointer.in_speech and self._speech else None

    async def run(self) -> None:
        pending: asyncio.Future[Pcm | None] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(self.audio.read())
                done, _ = await asyncio.wait({pending}, timeout=GAP_SECONDS)
                if not done:
                    self._feed(None, GAP_SECONDS, False)
                    continue
                frame, pending = pending.result(), None
                if frame is None:
                    self.emit(MediaEnded(self.clock()))
                    return
                seconds = len(frame) / SAMPLE_RATE
                # The VAD sees every frame (it adapts to the line's noise), then the floor applies.
                self._feed(frame, seconds, self.vad.is_speech(frame, SAMPLE_RATE) and rms(frame) >= ENERGY_FLOOR)
        finally:
            for asked in list(self._asking):
                asked.cancel()
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending

    def _feed(self, frame: Pcm | None, seconds: float, is_speech: bool) -> None:
        now = self.clock()
        if is_speech:
            self.last_voice_at = now
            self._pause = None
        was_speaking = self.endpointer.in_speech
        event = self.endpointer.process(seconds, is_speech)
        self._note_onset(now, seconds, is_speech)
        if frame is not None:
            (self._speech if was_speaking else self._preroll).append(frame)
            if is_speech and was_speaking:
                self._voice_end = len(self._speech)
        if event is EndpointEvent.SPEECH_STARTED:
            self._speech = list(self._preroll)
            self._voice_end = len(self._speech)
            self._turn_from = max(0, len(self._speech) - int(TURN_PREROLL_SECONDS / 0.02))
            self._preroll.clear()
            self._voiced = self.endpointer.speech_seconds
            self.voiced_total += self._voiced
            self.emit(SpeechStarted(now))
        elif is_speech and was_speaking:
            self._voiced += seconds
            self.voiced_total += seconds
        elif event is EndpointEvent.SPEECH_ENDED:
            self._end(now, by_model=False)
            return
        elif (
            self.endpointer.in_speech
            and self._pause is None
            and PAUSE_SECONDS - 1e-9 <= self.endpointer.silence_seconds < self.endpointer.wait_seconds
        ):
            self._pauses += 1
            self._pause = self._pauses
            self._onset_due = True
            self.emit(SpeechPaused(now, _join(self._speech), self._pause))
        if event is EndpointEvent.PAUSE_CHECK:
            self._ask(self.endpointer.pause, self._pause)

    def _note_onset(self, now: float, seconds: float, is_speech: bool) -> None:
        """Report the first `ONSET_SECONDS` of voice in a row of a new utterance, or after a pause."""
        if not is_speech:
            self._run = 0.0
            if not self.endpointer.in_speech:
                self._onset_due = True
            return
        self._run += seconds
        if self._onset_due and self._run >= ONSET_SECONDS - 1e-9:
            self._onset_due = False
            self.emit(SpeechOnset(now))

    def _end(self, now: float, by_model: bool) -> None:
        pcm = _join(self._speech)
        self._speech = []
        pause, self._pause = self._pause, None
        self.emit(SpeechEnded(now, pcm, self.last_voice_at, pause, by_model))

    def _ask(self, pause: int, paused: int | None) -> None:
        """Ask the end-of-turn model about this pause; frames go on arriving while it thinks.
        `paused` is the `SpeechPaused` this silence began with, whose transcript may overrule it.

        It hears the utterance up to the last voiced frame: trailing digital silence (the exact
        zeros a softphone sends) raised Smart Turn's probability for "I'd like to book," cut at
        its comma from 0.01 to 0.86 with 0.2 s of it, and to 0.03 with faint line noise instead.
        """
        if self.turn is None:
            return
        heard = _join(self._speech[self._turn_from : self._voice_end])
        asked = asyncio.ensure_future(self._judge(heard, paused))
        self._asking.add(asked)
        asked.add_done_callback(lambda done: self._answered(done, pause))

    async def _judge(self, heard: Pcm, paused: int | None) -> tuple[bool, bool]:
        """Whether the caller has finished: the voice model's verdict, unless the words so far say
        otherwise. Words that stop mid-phrase ("My number is") keep the turn open: a model that
        hears intonation calls a third of such pauses the end on synthetic voices. Words the words
        model finds finished end it though the voice model is unsure ("Sorry, actually I just
        need a loaf of bread." scores 0.01 on Smart Turn). Waiting for the words costs the turn
        nothing, as its reply needs the same transcript; a caller who resumes cancels it.

        Returns whether the caller has finished, and whether the words stop mid-phrase (the pause
        may then last the profile's `mid_phrase_wait_seconds`)."""
        assert self.turn is not None
        if paused is None or self.early_words is None:
            return await self.turn.complete_probability(heard, SAMPLE_RATE) >= self.turn.threshold, False
        probability, said = await asyncio.gather(self.turn.complete_probability(heard, SAMPLE_RATE),
                                                 self.early_words(paused))
        words = self.turn.words  # without one, the words can only keep the turn open (`looks_unfinished`)
        if said is None or words is None:
            return end_verdict(probability, self.turn.threshold, said[0] if said else None, None)
        return end_verdict(probability, self.turn.threshold, said[0], said[1], WordsRule.of(words))

    def _answered(self, done: asyncio.Future[tuple[bool, bool]], pause: int) -> None:
        self._asking.discard(done)
        if done.cancelled() or self.turn is None:
            return
        if (err := done.exception()) is not None:  # the longest wait still ends the turn
            log.warning("end-of-turn model failed: %s", err)
            return
        finished, mid_phrase = done.result()
        if self.endpointer.verdict(pause, finished) is EndpointEvent.SPEECH_ENDED:
            self._end(self.clock(), by_model=True)
        elif mid_phrase:
            self.endpointer.hold_open(pause)


def caller_endpointer(wait_seconds: float, turn: TurnDetector | None) -> Endpointer:
    """Without a model, `wait_seconds` of silence ends the caller's turn. With one, the model ends
    it at a pause and the profile's longest wait is the fallback; `wait_seconds` is then the floor
    before the assistant's first audio (see `speech.Timings.speak_not_before`), never a cut-off."""
    if turn is None:
        return Endpointer(wait_seconds=wait_seconds, timeout_seconds=0.0)
    return Endpointer(wait_seconds=max(turn.max_wait_seconds, wait_seconds), timeout_seconds=0.0,
                      check_seconds=turn.check_seconds,
                      mid_phrase_wait_seconds=turn.mid_phrase_wait_seconds)


def _join(frames: list[Pcm]) -> Pcm:
    return np.concatenate(frames).astype(np.int16) if frames else np.zeros(0, dtype=np.int16)
