"""`voicedock drain` finds the server that holds a data directory, drains it and waits for its exit."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.server import running_server, voicedock


def test_drain_stops_the_server_on_its_data_directory_and_waits_for_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as (base, log):
        done = voicedock("drain", data_dir=data)
        assert "has drained and exited" in done.stdout
        with pytest.raises(OSError):
            urllib.request.urlopen(base + "/api/v1/health", timeout=1)
        assert "shutting down" in log.read_text()


def test_drain_without_a_running_server_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    voicedock("db", "migrate", data_dir=data)
    (data / "voicedock.pid").write_text("4194303\n")  # left by a server that died: its lock is gone with it
    done = voicedock("drain", data_dir=data, check=False)
    assert done.returncode == 1 and "no VoiceDock server is running" in done.stderr
