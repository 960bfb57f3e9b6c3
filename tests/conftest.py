"""Fixtures shared by every test folder: the `ci` model profile, installed once per machine."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.store_backends import backend, both_backends, postgres_server  # noqa: F401 - fixtures for every folder
from voicedock.engines.loader import Engines, load_engines

INSTALLER = Path(__file__).resolve().parents[1] / "scripts" / "install-models"


def models_dir_for_tests() -> Path:
    """Kept outside the checkout so later runs only verify; VOICEDOCK_TEST_MODELS_DIR overrides it."""
    return Path(os.environ.get("VOICEDOCK_TEST_MODELS_DIR") or Path(tempfile.gettempdir()) / "voicedock-test-models")


@pytest.fixture(scope="session")
def ci_models_dir() -> Path:
    """The project's installer, idempotent: it downloads once, then only checks sizes."""
    target = models_dir_for_tests()
    subprocess.run([sys.executable, str(INSTALLER), "--profile", "ci", "--models-dir", str(target)],
                   check=True, timeout=900)
    return target


@pytest.fixture(scope="session")
def ci_engines(ci_models_dir: Path) -> Engines:
    return load_engines("ci", ci_models_dir)


@pytest.fixture
def ci_llm_path(ci_models_dir: Path) -> Path:
    """The ci profile's LLM file, for tests that need an instance of their own (a fresh prompt cache)."""
    return ci_models_dir / "smollm2-135m-instruct-q4_1" / "SmolLM2-135M-Instruct.Q4_1.gguf"
