"""G.711 µ-law matches the ITU reference bit for bit; slin is big-endian; resampling keeps pitch."""

from __future__ import annotations

import numpy as np
import pytest

from voicedock_ari.media.codec import (
    StreamResampler,
    float_to_pcm,
    resample,
    slin_decode,
    slin_encode,
    ulaw_decode,
    ulaw_encode,
)


def reference_lin2ulaw(sample: int) -> int:
    """The classic Sun/ITU G.711 reference routine, one sample at a time."""
    exp_lut = [0, 0, 1, 1, 2, 2, 2, 2] + [3] * 8 + [4] * 16 + [5] * 32 + [6] * 64 + [7] * 128
    sign = 0x80 if sample < 0 else 0
    if sign:
        sample = -sample
    sample = min(sample, 32635) + 0x84
    exponent = exp_lut[(sample >> 7) & 0xFF]
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def reference_ulaw2lin(code: int) -> int:
    code = ~code & 0xFF
    sample = (((code & 0x0F) << 3) + 0x84) << ((code >> 4) & 0x07)
    return 0x84 - sample if code & 0x80 else sample - 0x84


def test_ulaw_encode_matches_reference_for_every_int16() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int16)
    expected = bytes(reference_lin2ulaw(int(s)) for s in samples[::7])
    assert ulaw_encode(samples[::7]) == expected


def test_ulaw_decode_matches_reference_for_every_code() -> None:
    assert ulaw_decode(bytes(range(256))).tolist() == [reference_ulaw2lin(c) for c in range(256)]


def test_ulaw_round_trip_error_is_small_relative_to_amplitude() -> None:
    samples = np.linspace(-32000, 32000, 5000).astype(np.int16)
    decoded = ulaw_decode(ulaw_encode(samples)).astype(np.int32)
    assert np.all(np.abs(decoded - samples) <= np.maximum(16, np.abs(samples.astype(np.int32)) // 16))


def test_ulaw_silence_is_0xff() -> None:
    assert ulaw_encode(np.zeros(4, dtype=np.int16)) == b"\xff" * 4


def test_slin_is_big_endian_on_the_wire() -> None:
    assert slin_encode(np.array([1, -2], dtype=np.int16)) == b"\x00\x01\xff\xfe"
    assert slin_decode(b"\x00\x01\xff\xfe").tolist() == [1, -2]


def test_slin_with_odd_length_is_rejected() -> None:
    with pytest.raises(ValueError):
        slin_decode(b"\x00")


def test_float_to_pcm_clips_instead_of_wrapping() -> None:
    assert float_to_pcm([2.0, -2.0, 0.0]).tolist() == [32767, -32767, 0]


def dominant_hz(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1 / rate)[np.argmax(spectrum)])


def tone(hz: float, rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 12000).astype(np.int16)


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000)])
def test_resample_keeps_the_pitch_and_the_duration(src: int, dst: int) -> None:
    out = resample(tone(700, src), src, dst)
    assert abs(len(out) - dst // 2) <= 64
    assert abs(dominant_hz(out, dst) - 700) < 10


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000)])
def test_numpy_fallback_resampler_streams_in_20ms_chunks(src: int, dst: int) -> None:
    resampler = StreamResampler(src, dst)
    resampler._soxr = None  # exercise the fallback even where soxr is installed
    signal = tone(500, src)
    chunks = [resampler.process(c) for c in np.split(signal, 25)]
    out = np.concatenate(chunks)
    assert len(out) == len(signal) * dst // src
    assert abs(dominant_hz(out, dst) - 500) < 10
