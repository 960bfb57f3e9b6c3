"""A setting no server could run with stops the command with a message naming it, not a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from voicedock.config import Settings, SettingsError
from voicedock_cli.datadir import EXIT_REFUSED
from voicedock_cli.main import main


@pytest.mark.parametrize(("name", "value", "says"), [
    ("VOICEDOCK_CALL_CAPACITY", "-1", "VOICEDOCK_CALL_CAPACITY must be 0 or more, not -1"),
    ("VOICEDOCK_CALL_CAPACITY", "two", "VOICEDOCK_CALL_CAPACITY must be a whole number, not 'two'"),
    ("VOICEDOCK_PORT", "70000", "VOICEDOCK_PORT must be from 0 to 65535, not 70000"),
    ("VOICEDOCK_RATE_LIMIT_PER_MINUTE", "0", "VOICEDOCK_RATE_LIMIT_PER_MINUTE must be 1 or more, not 0"),
    ("VOICEDOCK_DRAIN_SECONDS", "nan", "VOICEDOCK_DRAIN_SECONDS must be a finite number of 0 or more, not nan"),
    ("VOICEDOCK_NODE_URL", "10.0.0.2:8000", "VOICEDOCK_NODE_URL must be http(s)://host[:port] (10.0.0.2:8000)"),
    ("VOICEDOCK_NODE_URL", "http://10.0.0.2:80x", "VOICEDOCK_NODE_URL is not a valid URL (http://10.0.0.2:80x)"),
])
def test_a_bad_value_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                              says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        Settings.from_env()
    assert str(err.value) == says


def test_the_command_exits_refused_with_the_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VOICEDOCK_CALL_CAPACITY", "-3")
    assert main(["keys", "list", "--data-dir", str(tmp_path)]) == EXIT_REFUSED
    assert capsys.readouterr().err.strip() == "error: VOICEDOCK_CALL_CAPACITY must be 0 or more, not -3"


def test_zero_capacity_still_means_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEDOCK_CALL_CAPACITY", "0")
    assert Settings.from_env().call_capacity == 0


def test_other_nodes_reach_this_one_at_its_node_url_else_its_bind_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEDOCK_HOST", "10.0.0.2")
    monkeypatch.setenv("VOICEDOCK_PORT", "8001")
    assert Settings.from_env().node_base_url == "http://10.0.0.2:8001"
    monkeypatch.setenv("VOICEDOCK_HOST", "0.0.0.0")  # no other node can dial a wildcard: the host name
    assert Settings.from_env().node_base_url == f"http://{socket.gethostname()}:8001"
    monkeypatch.setenv("VOICEDOCK_NODE_URL", "https://node-2.internal:8443/")
    assert Settings.from_env().node_base_url == "https://node-2.internal:8443"
