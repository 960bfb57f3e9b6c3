"""A transcript that stopped before the speech did is read again in halves (stt_tail.py)."""

from __future__ import annotations

import numpy as np

from voicedock.engines.stt_tail import split_point, stopped_early, voiced_frames, whole_reading

RATE = 8000
FRAME = 160


def _speech(*parts: tuple[str, float]) -> np.ndarray:
    """Voice ("v", loud noise) and pauses ("p", faint hiss) of the given seconds, at 8 kHz."""
    rng = np.random.default_rng(7)
    out = [rng.normal(0, 3000 if kind == "v" else 20, int(seconds * RATE)) for kind, seconds in parts]
    return np.clip(np.concatenate(out), -32768, 32767).astype(np.int16)


def test_too_few_words_for_the_voice_stopped_early() -> None:
    audio = _speech(("v", 1.2), ("p", 0.4), ("v", 1.6))  # 2.8 s of voice
    voiced = voiced_frames(audio, RATE)
    assert stopped_early("Sure SD 04.", voiced)  # 4 words (a digit is one) for 2.8 s
    assert not stopped_early("Sure SD 04. Double seven, one nine, oh eight.", voiced)
    assert not stopped_early("Hello.", voiced_frames(_speech(("v", 1.0)), RATE))  # too short to judge


def test_the_split_is_at_the_widest_pause_near_the_middle() -> None:
    audio = _speech(("p", 0.5), ("v", 1.0), ("p", 0.2), ("v", 1.0), ("p", 0.5), ("v", 1.0), ("p", 0.5))
    cut = split_point(voiced_frames(audio, RATE))
    assert cut is not None and 2.7 / 0.02 <= cut <= 3.2 / 0.02  # in the 0.5 s pause, not the 0.2 s one
    assert split_point(voiced_frames(_speech(("v", 3.0)), RATE)) is None  # no pause to split at


def _decoder(audio: np.ndarray, first: str, second: str):
    """Reads the half that begins the audio as `first`, the other as `second`."""
    def decode(part: np.ndarray) -> str:
        return first if np.shares_memory(part, audio[:FRAME]) else second
    return decode


def test_the_lost_end_is_read_from_the_second_half() -> None:
    audio = _speech(("v", 1.4), ("p", 0.5), ("v", 1.6))
    decode = _decoder(audio, "Sure SD L4.", "Double seven, one nine, oh eight.")
    # the whole reading kept its own first half ("04", not the half's "L4")
    assert whole_reading("Sure SD 04.", audio, RATE, decode) == "Sure SD 04. Double seven, one nine, oh eight."


def test_a_reading_of_only_the_end_gets_its_beginning() -> None:
    audio = _speech(("v", 1.6), ("p", 0.5), ("v", 1.6))
    decode = _decoder(audio, "Nah, forget it, we'll just walk in.", "We are bringing the baby.")
    assert whole_reading("We are bringing the baby.", audio, RATE, decode) == (
        "Nah, forget it, we'll just walk in. We are bringing the baby.")


def test_a_whole_reading_is_never_decoded_again() -> None:
    audio = _speech(("v", 1.4), ("p", 0.5), ("v", 1.6))

    def decode(part: np.ndarray) -> str:
        raise AssertionError("decoded again")

    text = "I'd like to book a cleaning on Tuesday at three, please."
    assert whole_reading(text, audio, RATE, decode) == text
