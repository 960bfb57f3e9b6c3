"""The playout: what goes on the line first."""

from __future__ import annotations

import numpy as np

from voicedock.conversation.speech import LEADING_SILENCE_KEEP, Playout, Utterance, trim_leading_silence
from voicedock.engines.base import AudioChunk


class Line:
    def __init__(self) -> None:
        self.sent: list[np.ndarray] = []
        self.sent_seconds = 0.0

    def send_pcm(self, pcm: np.ndarray) -> None:
        self.sent.append(pcm)


def speech(leading_ms: int) -> np.ndarray:
    tone = (4000 * np.cos(np.arange(1600) / 3)).astype(np.int16)
    return np.concatenate([np.full(leading_ms * 8, 40, np.int16), tone])


def test_an_utterance_starts_with_its_first_sound_not_the_voice_s_leading_silence() -> None:
    line = Line()
    playout = Playout(line)  # type: ignore[arg-type]
    utterance = Utterance()
    playout.send(AudioChunk(speech(60), 8000, "Yes,"), utterance)
    playout.send(AudioChunk(speech(60), 8000, "we do."), utterance)
    first, second = line.sent
    assert len(first) == 1600 + LEADING_SILENCE_KEEP  # 60 ms trimmed to 10 ms
    assert len(second) == 1600 + 480  # later sentences keep their pauses
    assert utterance.segments[0].seconds == len(first) / 8000  # the timeline follows what was sent


def test_trimming_leaves_silence_alone() -> None:
    quiet = np.zeros(800, np.int16)
    assert len(trim_leading_silence(quiet)) == 800
    assert len(trim_leading_silence(speech(0))) == 1600
