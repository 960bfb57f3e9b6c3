"""A recording Asterisk (its own user) wrote ends up the server's own file, 0600, once collected."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from voicedock_ari.recording import RECORDING_SPOOL, RecordingSpool

NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_recording_owned_by_asterisks_user_becomes_ours_and_private(tmp_path: Path) -> None:
    spool = tmp_path / "asterisk" / RECORDING_SPOOL
    spool.mkdir(parents=True)
    wav = spool / "call_1.wav"
    wav.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    wav.chmod(0o644)
    os.chown(wav, NOBODY, NOBODY)
    recording = RecordingSpool(tmp_path / "asterisk", tmp_path / "data", "call_1")
    recording.name = "call_1"
    assert recording.collect() == "/api/v1/calls/call_1/recording"
    target = tmp_path / "data" / "recordings" / "call_1.wav"
    info = target.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o600)
    assert target.read_bytes() == b"RIFF" + bytes(range(256)) * 40
    assert not wav.exists() and [p.name for p in target.parent.iterdir()] == ["call_1.wav"]
