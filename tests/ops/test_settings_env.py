"""A setting no server could run with stops the command with a message naming it, not a traceback."""

from __future__ import annotations

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
