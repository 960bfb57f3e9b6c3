import hashlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from voicedock.engines.audio import as_int16, resample, rms, ulaw_decode, ulaw_encode

# sha256 of audioop.lin2ulaw over every int16 value and of audioop.ulaw2lin over every byte
# (recorded on Python 3.11, before audioop was removed from the standard library).
LIN2ULAW_ALL = "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a"
ULAW2LIN_ALL = "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827"


def test_ulaw_matches_audioop_bit_for_bit():
    every_sample = np.arange(-32768, 32768, dtype=np.int16)
    assert hashlib.sha256(ulaw_encode(every_sample)).hexdigest() == LIN2ULAW_ALL
    decoded = ulaw_decode(bytes(range(256))).astype("<i2").tobytes()
    assert hashlib.sha256(decoded).hexdigest() == ULAW2LIN_ALL


@given(arrays(np.int16, st.integers(0, 400)))
def test_ulaw_round_trip_error_is_within_one_quantisation_step(samples):
    back = ulaw_decode(ulaw_encode(samples)).astype(np.int32)
    error = np.abs(back - samples.astype(np.int32))
    assert np.all(error <= np.maximum(16, np.abs(samples.astype(np.int32)) // 16 + 8))


def test_resampling_keeps_duration_and_loudness():
    rate_in, rate_out = 22050, 8000
    t = np.arange(rate_in) / rate_in
    tone = (np.sin(2 * np.pi * 300 * t) * 10000).astype(np.int16)
    out = resample(tone, rate_in, rate_out)
    assert out.dtype == np.int16
    assert abs(len(out) - rate_out) <= 1
    assert abs(rms(out) - rms(tone)) / rms(tone) < 0.05


def test_bytes_and_arrays_are_the_same_audio():
    samples = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    assert np.array_equal(as_int16(samples.astype("<i2").tobytes()), samples)
    assert rms(b"") == 0.0
