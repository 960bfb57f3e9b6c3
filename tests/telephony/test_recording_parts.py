"""A call recorded in parts (before and after a restart) is served as one WAV with all of its audio."""

from __future__ import annotations

import stat
import struct
import wave
from pathlib import Path

import numpy as np

from voicedock_ari.recording import RECORDING_SPOOL, RecordingSpool
from voicedock_ari.recording_parts import ordered_parts, resumed_part

from .audio import read_wav, tone, write_wav


def test_parts_are_ordered_first_part_then_resumed_parts_by_time() -> None:
    later, earlier = resumed_part("call_1", 2_000_000_000_000_000_000), resumed_part("call_1", 10**18)
    names = [later, "call_12", "call_1", earlier, "call_1-notes", "other"]
    assert ordered_parts("call_1", names) == ["call_1", earlier, later]


def spool_with(tmp_path: Path, parts: dict[str, np.ndarray]) -> Path:
    spool = tmp_path / "asterisk" / RECORDING_SPOOL
    spool.mkdir(parents=True)
    for name, pcm in parts.items():
        write_wav(spool / f"{name}.wav", pcm)
    return spool


def test_a_resumed_call_s_parts_become_one_private_wav_in_order(tmp_path: Path) -> None:
    before, after = tone(440.0, 1.0), tone(600.0, 0.5)
    second = resumed_part("call_1", 10**18)
    spool = spool_with(tmp_path, {second: after, "call_1": before, "call_2": tone(300.0, 0.2)})
    recording = RecordingSpool(tmp_path / "asterisk", tmp_path / "data", "call_1")
    recording.adopt()
    assert recording.collect() == "/api/v1/calls/call_1/recording"
    target = tmp_path / "data" / "recordings" / "call_1.wav"
    pcm, rate = read_wav(target)
    assert rate == 8000 and np.array_equal(pcm, np.concatenate([before, after]))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in spool.iterdir()) == ["call_2.wav"], "the parts must leave the spool"
    assert [p.name for p in target.parent.iterdir()] == ["call_1.wav"]


def test_a_part_whose_writer_was_killed_counts_to_the_end_of_its_file(tmp_path: Path) -> None:
    before, after = tone(440.0, 1.0), tone(600.0, 0.5)
    second = resumed_part("call_1", 10**18)
    spool = spool_with(tmp_path, {"call_1": before, second: after})
    head = bytearray((spool / "call_1.wav").read_bytes())
    struct.pack_into("<I", head, 40, 0)  # the data size Asterisk writes only when it closes the file
    (spool / "call_1.wav").write_bytes(head)
    recording = RecordingSpool(tmp_path / "asterisk", tmp_path / "data", "call_1")
    recording.adopt()
    recording.collect()
    with wave.open(str(tmp_path / "data" / "recordings" / "call_1.wav")) as w:
        assert w.getnframes() == len(before) + len(after)
