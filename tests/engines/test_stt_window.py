"""Whisper encodes the utterance, not its 30 s window, and the decoder still sees a whole window."""

import numpy as np
import pytest

from voicedock.engines.stt_whisper import WINDOW_MARGIN_FRAMES, UtteranceWindow, content_frames

MELS, FRAMES, WIDTH = 4, 3000, 3


class RecordingEncoder:
    """Stands in for CTranslate2's encoder: halves the frames, as its convolution does, and tags
    each output position with the mean of the features it came from."""

    def __init__(self) -> None:
        self.widths: list[int] = []

    def __call__(self, features: np.ndarray) -> np.ndarray:
        window = features if features.ndim == 2 else features[0]
        self.widths.append(window.shape[-1])
        pairs = window.reshape(MELS, -1, 2).mean(axis=(0, 2)) + 1.0
        return np.repeat(pairs[None, :, None], WIDTH, axis=2).astype(np.float32)


def spoken(frames: int) -> np.ndarray:
    """A log-mel window whose first `frames` hold audio and the rest faster-whisper's zero padding."""
    window = np.zeros((MELS, FRAMES), np.float32)
    window[:, :frames] = 0.5
    return window


def test_content_ends_where_the_zero_padding_begins():
    assert content_frames(spoken(237)) == 237
    assert content_frames(spoken(FRAMES)) == FRAMES
    assert content_frames(np.zeros((MELS, FRAMES), np.float32)) == 0


def test_a_short_utterance_is_encoded_alone_and_the_window_completed_with_silence(monkeypatch):
    import voicedock.engines.stt_whisper as stt

    monkeypatch.setattr(stt, "_storage", lambda array: array)
    encoder = RecordingEncoder()
    window = UtteranceWindow(encoder, MELS, FRAMES)
    assert encoder.widths == [FRAMES]  # the silent window, once

    out = window(spoken(237))
    used = 237 + WINDOW_MARGIN_FRAMES + 1  # rounded up to an even width
    assert encoder.widths[1:] == [used]
    assert out.shape == (1, FRAMES // 2, WIDTH)  # the decoder gets a whole window
    assert np.all(out[0, : 237 // 2, 0] == 1.5)  # the utterance's encoding
    assert np.all(out[0, used // 2 :, 0] == 1.0)  # the silent window's, past it


def test_a_window_full_of_speech_is_encoded_as_it_is(monkeypatch):
    import voicedock.engines.stt_whisper as stt

    monkeypatch.setattr(stt, "_storage", lambda array: pytest.fail("no completed window expected"))
    encoder = RecordingEncoder()
    window = UtteranceWindow(encoder, MELS, FRAMES)
    out = window(spoken(FRAMES - 20))  # the margin would run past the window
    assert encoder.widths[1:] == [FRAMES]
    assert out.shape == (1, FRAMES // 2, WIDTH)
    assert np.all(out[0, : (FRAMES - 20) // 2, 0] == 1.5)
