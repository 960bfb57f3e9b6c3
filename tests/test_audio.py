"""G.711 µ-law matches the ITU reference bit for bit; slin is big-endian; resampling keeps pitch,
duration and loudness."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from voicedock.audio import (
    ULAW_SILENCE,
    as_int16,
    resample,
    rms,
    slin_decode,
    slin_encode,
    to_float32,
    to_int16,
    ulaw_decode,
    ulaw_encode,
)

# sha256 of audioop.ulaw2lin over every byte (recorded on Python 3.11, before audioop was removed
# from the standard library). The encoder follows the Sun/ITU reference routine, the one Asterisk's
# ulaw.c is built from; audioop.lin2ulaw floors negative samples to 14 bits first and so lands one
# code away on 381 negative inputs at segment edges.
ULAW2LIN_ALL = "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827"


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


def test_ulaw_decode_matches_audioop_bit_for_bit() -> None:
    decoded = ulaw_decode(bytes(range(256))).astype("<i2").tobytes()
    assert hashlib.sha256(decoded).hexdigest() == ULAW2LIN_ALL


def test_ulaw_encode_matches_reference_for_every_int16() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(samples) == bytes(reference_lin2ulaw(int(s)) for s in samples)


def test_ulaw_decode_matches_reference_for_every_code() -> None:
    assert ulaw_decode(bytes(range(256))).tolist() == [reference_ulaw2lin(c) for c in range(256)]


def test_ulaw_encodes_raw_bytes_like_the_array() -> None:
    samples = np.array([0, 1, -1, 1000, -1000, 32767, -32768], dtype=np.int16)
    assert ulaw_encode(samples.astype("<i2").tobytes()) == ulaw_encode(samples)


@given(arrays(np.int16, st.integers(0, 400)))
def test_ulaw_round_trip_error_is_within_one_quantisation_step(samples: np.ndarray) -> None:
    back = ulaw_decode(ulaw_encode(samples)).astype(np.int32)
    error = np.abs(back - samples.astype(np.int32))
    assert np.all(error <= np.maximum(16, np.abs(samples.astype(np.int32)) // 16 + 8))


def test_ulaw_round_trip_error_is_small_relative_to_amplitude() -> None:
    samples = np.linspace(-32000, 32000, 5000).astype(np.int16)
    decoded = ulaw_decode(ulaw_encode(samples)).astype(np.int32)
    assert np.all(np.abs(decoded - samples) <= np.maximum(16, np.abs(samples.astype(np.int32)) // 16))


def test_ulaw_silence_is_0xff() -> None:
    assert ulaw_encode(np.zeros(4, dtype=np.int16)) == b"\xff" * 4
    assert bytes([ULAW_SILENCE]) == b"\xff"


def test_slin_is_big_endian_on_the_wire() -> None:
    assert slin_encode(np.array([1, -2], dtype=np.int16)) == b"\x00\x01\xff\xfe"
    assert slin_decode(b"\x00\x01\xff\xfe").tolist() == [1, -2]


def test_slin_with_odd_length_is_rejected() -> None:
    with pytest.raises(ValueError):
        slin_decode(b"\x00")


def test_to_int16_clips_instead_of_wrapping() -> None:
    assert to_int16([2.0, -2.0, 0.0]).tolist() == [32767, -32767, 0]


def test_float_round_trip_is_within_one_step() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int16)
    back = to_int16(to_float32(samples)).astype(np.int32)
    assert np.all(np.abs(back - samples.astype(np.int32)) <= 1)


def test_bytes_and_arrays_are_the_same_audio() -> None:
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    assert np.array_equal(as_int16(samples.astype("<i2").tobytes()), samples)
    assert rms(b"") == 0.0


def dominant_hz(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1 / rate)[np.argmax(spectrum)])


def tone(hz: float, rate: int, seconds: float = 0.5, amplitude: int = 12000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * amplitude).astype(np.int16)


def test_resampling_keeps_duration_and_loudness() -> None:
    rate_in, rate_out = 22050, 8000
    source = tone(300, rate_in, seconds=1.0, amplitude=10000)
    out = resample(source, rate_in, rate_out)
    assert out.dtype == np.int16
    assert abs(len(out) - rate_out) <= 1
    assert abs(rms(out) - rms(source)) / rms(source) < 0.05


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000)])
def test_resample_keeps_the_pitch_and_the_duration(src: int, dst: int) -> None:
    out = resample(tone(700, src), src, dst)
    assert abs(len(out) - dst // 2) <= 64
    assert abs(dominant_hz(out, dst) - 700) < 10


def test_resampling_float_audio_stays_float() -> None:
    out = resample(to_float32(tone(300, 22050)), 22050, 8000)
    assert out.dtype == np.float32
