"""Transcripts, recordings and keys are readable by the service user alone, even under a permissive umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import running_server, voicedock
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock_ari.recording import RECORDING_SPOOL, RecordingSpool


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual default: files 644 and directories 755 unless the code says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_database_wal_and_shm_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = Database(data / "voicedock.db")
    try:
        db.migrate_sync()
        db.write_sync(lambda d: d.execute("CREATE TABLE t (x)"))
        files = [data / name for name in ("voicedock.db", "voicedock.db-wal", "voicedock.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(data) == 0o700
    finally:
        db.close()


def test_a_world_readable_database_from_before_is_narrowed(tmp_path: Path) -> None:
    db = Database(tmp_path / "voicedock.db")
    db.migrate_sync()
    db.close()
    for name in ("voicedock.db", "voicedock.db-wal", "voicedock.db-shm"):
        (tmp_path / name).touch()
        (tmp_path / name).chmod(0o644)
    Database(tmp_path / "voicedock.db").close()
    assert {mode(tmp_path / n) for n in ("voicedock.db", "voicedock.db-wal", "voicedock.db-shm")} == {0o600}


def test_the_encryption_key_is_0600_in_a_0700_directory(tmp_path: Path) -> None:
    key = tmp_path / "data" / "secret.key"
    SecretBox(key)
    assert (mode(key), mode(key.parent)) == (0o600, 0o700)
    key.chmod(0o644)
    SecretBox(key)
    assert mode(key) == 0o600


def test_a_collected_recording_is_0600_in_a_0700_directory(tmp_path: Path) -> None:
    spool = tmp_path / "asterisk" / RECORDING_SPOOL
    spool.mkdir(parents=True)
    (spool / "call_1.wav").write_bytes(b"RIFF")
    (spool / "call_1.wav").chmod(0o644)
    recording = RecordingSpool(tmp_path / "asterisk", tmp_path / "data", "call_1")
    recording.name = "call_1"
    assert recording.collect() == "/api/v1/calls/call_1/recording"
    target = tmp_path / "data" / "recordings" / "call_1.wav"
    assert (mode(target), mode(target.parent)) == (0o600, 0o700)


def test_the_command_line_makes_a_private_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    voicedock("keys", "create", "--name", "admin", data_dir=data)
    assert mode(data) == 0o700
    assert {p.name: mode(p) for p in data.iterdir()} == {p.name: 0o600 for p in data.iterdir()}


def test_serving_narrows_a_data_directory_made_world_readable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    with running_server(data):
        assert mode(data) == 0o700
