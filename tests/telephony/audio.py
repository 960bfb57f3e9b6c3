"""Test audio helpers: tones, WAV files, and the dominant frequency of a signal."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from voicedock.audio import rms as rms


def tone(hz: float, seconds: float, rate: int = 8000, amplitude: int = 12000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * amplitude).astype(np.int16)


def dominant_hz(pcm: np.ndarray, rate: int = 8000) -> float:
    samples = pcm.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def write_wav(path: Path, pcm: np.ndarray, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as src:
        assert src.getsampwidth() == 2, "expected 16-bit PCM"
        data = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
        channels = src.getnchannels()
        return (data[::channels] if channels > 1 else data), src.getframerate()
