"""G.711 µ-law and linear (slin) conversions, plus 8 kHz <-> 16 kHz resampling.

Python 3.13 removed `audioop`, so µ-law is done with numpy lookup tables that match the ITU
G.711 reference (and audioop's `lin2ulaw`/`ulaw2lin`). Inside the project PCM is always a 1-D
int16 numpy array; slin on the wire is big-endian (RTP network order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]

_BIAS = 0x84
_CLIP = 32635
ULAW_SILENCE = 0xFF


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
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    codes = ~(sign | (exponent << 4) | mantissa) & 0xFF
    # Index by the int16 bit pattern viewed as uint16, so encoding is one take().
    return np.roll(codes.astype(np.uint8), -32768)


_DECODE = _build_decode_table()
_ENCODE = _build_encode_table()


def ulaw_decode(data: bytes) -> Pcm:
    """µ-law bytes to int16 samples (one sample per byte)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(pcm: Pcm) -> bytes:
    """int16 samples to µ-law bytes."""
    samples = np.asarray(pcm, dtype=np.int16)
    return _ENCODE[samples.view(np.uint16)].tobytes()


def slin_decode(data: bytes) -> Pcm:
    """Big-endian 16-bit linear (RTP `L16`/Asterisk `slin`) to native int16."""
    if len(data) % 2:
        raise ValueError(f"slin payload of {len(data)} bytes is not a whole number of 16-bit samples")
    return np.frombuffer(data, dtype=">i2").astype(np.int16)


def slin_encode(pcm: Pcm) -> bytes:
    """Native int16 to big-endian 16-bit linear."""
    return np.asarray(pcm, dtype=np.int16).astype(">i2").tobytes()


def float_to_pcm(samples: npt.ArrayLike) -> Pcm:
    """Float audio in [-1, 1] (engines' usual output) to int16, clipping instead of wrapping."""
    scaled = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype(np.int16)


class StreamResampler:
    """Resample a stream chunk by chunk without clicks at chunk edges.

    Uses `soxr` (high quality, keeps filter state between chunks) when installed, otherwise a
    small numpy fallback that handles the 2:1 and 1:2 ratios telephony needs.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._soxr: Any = None
        self._prev = 0
        self._odd: Pcm = np.zeros(0, dtype=np.int16)
        if in_rate == out_rate:
            return
        try:
            import soxr
        except ImportError:
            if {in_rate, out_rate} != {8000, 16000}:
                raise ValueError(f"resampling {in_rate}->{out_rate} Hz needs the soxr package") from None
        else:
            self._soxr = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")

    def process(self, pcm: Pcm, last: bool = False) -> Pcm:
        """Resample one chunk; pass `last=True` on the final chunk to flush buffered samples."""
        samples = np.asarray(pcm, dtype=np.int16)
        if self.in_rate == self.out_rate:
            return samples
        if self._soxr is not None:
            return np.asarray(self._soxr.resample_chunk(samples, last=last), dtype=np.int16)
        if self.out_rate > self.in_rate:
            return self._upsample(samples)
        return self._downsample(samples)

    def _upsample(self, samples: Pcm) -> Pcm:
        wide = samples.astype(np.int32)
        prev = np.concatenate(([self._prev], wide[:-1])) if len(wide) else wide
        out = np.empty(2 * len(wide), dtype=np.int32)
        out[0::2] = (prev + wide) // 2
        out[1::2] = wide
        if len(wide):
            self._prev = int(wide[-1])
        return out.astype(np.int16)

    def _downsample(self, samples: Pcm) -> Pcm:
        joined = np.concatenate((self._odd, samples))
        even = len(joined) - len(joined) % 2
        self._odd = joined[even:]
        pairs = joined[:even].astype(np.int32).reshape(-1, 2)
        return (pairs.sum(axis=1) // 2).astype(np.int16)


def resample(pcm: Pcm, in_rate: int, out_rate: int) -> Pcm:
    """One-shot resampling of a whole clip (for streams use `StreamResampler`)."""
    return StreamResampler(in_rate, out_rate).process(pcm, last=True)
