"""Silero VAD and Smart Turn from the `ci` profile's installed files, on speech that took the
telephone path (Piper → 8 kHz → µ-law and back)."""

from __future__ import annotations

import numpy as np
import pytest

from voicedock.audio import resample, ulaw_decode, ulaw_encode
from voicedock.engines.base import StreamingVAD, TurnDetector, vad_for_call
from voicedock.engines.loader import Engines

pytestmark = pytest.mark.models

SENTENCE = "I'd like to book, a cleaning for Tuesday."


async def phone_speech(engines: Engines, text: str) -> np.ndarray:
    chunks = [c async for c in engines.tts.synthesize(text)]
    pcm = resample(np.concatenate([c.pcm16 for c in chunks]), chunks[0].rate, 8000).astype(np.int16)
    return ulaw_decode(ulaw_encode(pcm))


def _frames(pcm: np.ndarray) -> list[np.ndarray]:
    return [pcm[i:i + 160] for i in range(0, len(pcm) - 159, 160)]


def _pause_at(pcm: np.ndarray) -> int:
    """Sample index where the longest quiet stretch inside the speech begins (the comma's pause)."""
    loud = np.array([np.sqrt(np.mean(f.astype(np.float64) ** 2)) > 200 for f in _frames(pcm)])
    voiced = np.flatnonzero(loud)
    best, start, run_start = 0, 0, None
    for i in range(int(voiced[0]), int(voiced[-1]) + 1):
        if not loud[i] and run_start is None:
            run_start = i
        elif loud[i] and run_start is not None:
            if i - run_start > best:
                best, start = i - run_start, run_start
            run_start = None
    return start * 160


async def test_silero_hears_phone_speech_and_not_silence_or_line_hiss(ci_engines: Engines) -> None:
    assert isinstance(ci_engines.vad, StreamingVAD)
    speech = await phone_speech(ci_engines, SENTENCE)
    hiss = (np.random.default_rng(1).normal(0, 150, 8000 * 2)).astype(np.int16)
    vad = vad_for_call(ci_engines.vad)
    heard_hiss = sum(vad.is_speech(f, 8000) for f in _frames(hiss))
    heard_speech = sum(vad.is_speech(f, 8000) for f in _frames(speech))
    assert heard_hiss == 0
    assert heard_speech >= 0.6 * len(_frames(speech))
    # each call has its own state: a second stream is not carried along by the first one's speech
    assert vad_for_call(ci_engines.vad) is not vad


async def test_smart_turn_tells_a_finished_sentence_from_one_stopped_at_its_comma(ci_engines: Engines) -> None:
    turn = ci_engines.turn
    assert isinstance(turn, TurnDetector)
    speech = await phone_speech(ci_engines, SENTENCE)
    stopped = speech[:_pause_at(speech)]  # "I'd like to book", up to its last voiced frame, as a call asks
    finished = speech
    assert await turn.complete_probability(finished, 8000) >= turn.threshold
    assert await turn.complete_probability(stopped, 8000) < turn.threshold
    # the profile gives a caller who stops mid-phrase more time than the longest wait
    assert turn.mid_phrase_wait_seconds > turn.max_wait_seconds


async def test_the_words_model_tells_a_sentence_head_from_a_finished_sentence(ci_engines: Engines) -> None:
    words = ci_engines.turn.words if ci_engines.turn is not None else None
    assert words is not None, "the ci profile's turn role has a words model"
    for head, whole in [("I need to cancel.", "I need to cancel my appointment for tomorrow morning."),
                        ("Can you tell me?", "Can you tell me what time you close on Friday?"),
                        ("My name is", "My name is Sarah Johnson, and I'm a new patient.")]:
        assert await words.finished_probability(head) < words.unfinished_below
        assert await words.finished_probability(whole) > 10 * words.unfinished_below
    # the same question twice gives the same answer: the kept head is not disturbed by a question
    first = await words.finished_probability("I ordered a parcel last Friday and it still hasn't arrived.")
    assert await words.finished_probability("I ordered a parcel last Friday and it still hasn't arrived.") == first
