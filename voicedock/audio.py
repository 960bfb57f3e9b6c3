"""Sample formats shared by the engines and the telephone media path, defined once.

Calls run at 8 kHz in 20 ms frames. Inside the project PCM is a 1-D int16 numpy array (`Pcm`);
engines also accept raw little-endian bytes (`PCM16`). Python 3.13 removed `audioop`, so G.711
µ-law is done with numpy lookup tables built from the Sun/ITU reference routine (the one Asterisk
uses); decoding matches audioop's `ulaw2lin` bit for bit. slin on the wire is big-endian (RTP
network order).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

Pcm = npt.NDArray[np.int16]
"""Mono 16-bit samples as a 1-D int16 array."""

PCM16 = bytes | np.ndarray
"""Mono signed 16-bit little-endian audio, as raw bytes or an int16 array."""

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
ULAW_SILENCE = 0xFF

_BIAS = 0x84
_CLIP = 32635


def as_int16(pcm16: PCM16) -> Pcm:
    """View raw little-endian bytes or an array as int16 without copying when possible."""
    if isinstance(pcm16, bytes | bytearray | memoryview):
        return np.frombuffer(pcm16, dtype="<i2")
    return np.asarray(pcm16).astype(np.int16, copy=False)


def to_float32(pcm16: PCM16) -> npt.NDArray[np.float32]:
    """int16 audio to float in [-1, 1), the form speech models take."""
    return as_int16(pcm16).astype(np.float32) / 32768.0


def to_int16(audio: npt.ArrayLike) -> Pcm:
    """Float audio in [-1, 1] (engines' usual output) to int16, clipping instead of wrapping."""
    scaled = np.clip(np.asarray(audio, dtype=np.float64), -1.0, 1.0) * 32767.0
    return np.rint(scaled).astype(np.int16)


def rms(pcm16: PCM16) -> float:
    """Root mean square in int16 units; silence is 0, normal speech is in the thousands."""
    samples = as_int16(pcm16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """High-quality one-shot resampling of a whole clip (soxr HQ); int16 in gives int16 out."""
    if from_rate == to_rate or len(audio) == 0:
        return audio
    resampled: np.ndarray = soxr.resample(audio, from_rate, to_rate, quality="HQ")
    return resampled


def _build_decode_table() -> Pcm:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(codes & 0x80, -magnitude, magnitude).astype(np.int16)


def _build_encode_table() -> npt.NDArray[np.uint8]:
    samples = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    codes = ~(sign | (exponent << 4) | mantissa) & 0xFF
    # Index by the int16 bit pattern viewed as uint16, so encoding is one take().
    return np.roll(codes.astype(np.uint8), -32768)


_DECODE = _build_decode_table()
_ENCODE = _build_encode_table()


def ulaw_decode(data: bytes) -> Pcm:
    """µ-law bytes to int16 samples (one sample per byte)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(pcm16: PCM16) -> bytes:
    """int16 samples to µ-law bytes (one byte per sample)."""
    return _ENCODE[as_int16(pcm16).view(np.uint16)].tobytes()


def slin_decode(data: bytes) -> Pcm:
    """Big-endian 16-bit linear (RTP `L16`/Asterisk `slin`) to native int16."""
    if len(data) % 2:
        raise ValueError(f"slin payload of {len(data)} bytes is not a whole number of 16-bit samples")
    return np.frombuffer(data, dtype=">i2").astype(np.int16)


def slin_encode(pcm: Pcm) -> bytes:
    """Native int16 to big-endian 16-bit linear."""
    return as_int16(pcm).astype(">i2").tobytes()
