"""The install/ctl scripts fail early and say why, without touching directories they did not make."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the scripts refuse to run without root")


@pytest.mark.parametrize("name", ["install-asterisk", "asterisk-ctl", "run", "test", "cluster"])
def test_scripts_are_valid_bash(name: str) -> None:
    subprocess.run(["bash", "-n", str(SCRIPTS / name)], check=True)


@needs_root
def test_installer_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [str(SCRIPTS / "install-asterisk")],
        env={**os.environ, "VOICEDOCK_ASTERISK_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "refusing to touch it" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@needs_root
def test_ctl_explains_that_asterisk_is_not_installed(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SCRIPTS / "asterisk-ctl"), "status"],
        env={**os.environ, "VOICEDOCK_ASTERISK_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "run scripts/install-asterisk first" in result.stderr
