"""The turns benchmark's caller audio: kept renderings are said again on the next run, so two runs
of the benchmark compare code, not two samplings of Piper's voice."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from voicedock_bench.utterances import RATE, read_wav_8k, synthesize, write_wav_8k

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/test installs it)")

NO_MODELS = Path("/nonexistent")  # espeak-ng needs no model; reading one would fail


def test_a_kept_rendering_is_said_again_and_a_new_sentence_is_rendered(tmp_path: Path) -> None:
    keep = tmp_path / "audio"
    first = asyncio.run(synthesize(["espeak-ng"], ["Hello there."], "ci", NO_MODELS, tmp_path, keep))
    [kept] = list(keep.glob("espeak-ng-*.wav"))
    assert np.array_equal(read_wav_8k(kept), first["espeak-ng"]["Hello there."])
    # what the folder holds is what the next run says, even where a fresh rendering would differ
    tone = (3000 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)).astype(np.int16)
    write_wav_8k(kept, tone)
    again = asyncio.run(synthesize(["espeak-ng"], ["Hello there.", "Goodbye."], "ci", NO_MODELS, tmp_path, keep))
    assert np.array_equal(again["espeak-ng"]["Hello there."], tone)
    goodbye = again["espeak-ng"]["Goodbye."]
    assert len(goodbye) > RATE // 4 and not np.array_equal(goodbye, tone)
    assert len(list(keep.glob("espeak-ng-*.wav"))) == 2


def test_without_a_folder_nothing_is_kept(tmp_path: Path) -> None:
    audio = asyncio.run(synthesize(["espeak-ng"], ["Hello there."], "ci", NO_MODELS, tmp_path))
    assert len(audio["espeak-ng"]["Hello there."]) > RATE // 4
    assert not list(tmp_path.rglob("espeak-ng-*.wav"))
