"""Sample-format helpers shared by the engines and the telephone media path.

`audioop` is gone in Python 3.13, so G.711 µ-law lives here as vectorised numpy.
"""

from __future__ import annotations

import numpy as np
import soxr

from voicedock.engines.base import PCM16

_BIAS = 0x84
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def as_int16(pcm16: PCM16) -> np.ndarray:
    """View raw little-endian bytes or an array as int16 without copying when possible."""
    if isinstance(pcm16, np.ndarray):
        return pcm16.astype(np.int16, copy=False)
    return np.frombuffer(pcm16, dtype="<i2")


def to_float32(pcm16: PCM16) -> np.ndarray:
    return as_int16(pcm16).astype(np.float32) / 32768.0


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality resampling (soxr HQ); int16 in gives int16 out."""
    if from_rate == to_rate or len(audio) == 0:
        return audio
    return soxr.resample(audio, from_rate, to_rate, quality="HQ")


def rms(pcm16: PCM16) -> float:
    """Root mean square in int16 units; silence is 0, normal speech is in the thousands."""
    samples = as_int16(pcm16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def ulaw_encode(pcm16: PCM16) -> bytes:
    """G.711 µ-law, bit-exact with audioop.lin2ulaw (14-bit magnitude, bias 0x21)."""
    x = as_int16(pcm16).astype(np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + 0x21
    segment = np.searchsorted(_SEG_END, mag)
    uval = np.where(segment >= 8, 0x7F, (segment << 4) | ((mag >> (segment + 1)) & 0x0F))
    return ((uval ^ mask) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """G.711 µ-law to int16, bit-exact with audioop.ulaw2lin."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)
