"""Fixtures for the real-model tests: the `ci` profile, installed once per machine by the project's installer."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from voicedock.engines.loader import Engines, load_engines

INSTALLER = Path(__file__).resolve().parents[2] / "scripts" / "install-models"


@pytest.fixture(scope="session")
def ci_models_dir() -> Path:
    """Kept outside the checkout so later runs only verify; override with VOICEDOCK_TEST_MODELS_DIR."""
    target = Path(os.environ.get("VOICEDOCK_TEST_MODELS_DIR") or Path(tempfile.gettempdir()) / "voicedock-test-models")
    subprocess.run(
        [sys.executable, str(INSTALLER), "--profile", "ci", "--models-dir", str(target)], check=True, timeout=900
    )
    return target


@pytest.fixture(scope="session")
def ci_engines(ci_models_dir: Path) -> Engines:
    return load_engines("ci", ci_models_dir)
