"""Fixtures for telephony tests; the real-Asterisk ones install and start it through the project scripts."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from voicedock.config import Settings
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock_ari.controller import CallController
from voicedock_ari.settings import AsteriskSettings

REPO = Path(__file__).resolve().parents[2]
CTL = REPO / "scripts" / "asterisk-ctl"


@pytest.fixture(scope="session")
def asterisk() -> Iterator[AsteriskSettings]:
    """A running Asterisk (installed on first use); stopped afterwards only if this fixture started it."""
    if os.geteuid() != 0:
        pytest.skip("the project's Asterisk needs root (debootstrap, chroot)")
    install = subprocess.run(
        [str(REPO / "scripts" / "install-asterisk"), "--with-test-callers"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        pytest.fail(f"scripts/install-asterisk failed:\n{install.stdout}\n{install.stderr}")
    was_running = subprocess.run([str(CTL), "status"], capture_output=True).returncode == 0
    if not was_running:
        subprocess.run([str(CTL), "start"], check=True, capture_output=True, timeout=60)
    try:
        yield AsteriskSettings.load()
    finally:
        if not was_running:
            subprocess.run([str(CTL), "stop"], capture_output=True, timeout=60)


@pytest.fixture
async def offline_controller(tmp_path: Path) -> AsyncIterator[CallController]:
    """A controller on a temporary store with no Asterisk behind it (tests give it a fake ARI)."""
    db = Database(tmp_path / "t.db")
    db.migrate_sync()
    controller = CallController(AsteriskSettings(root=None), Settings(data_dir=tmp_path, price_per_minute=1.0), db,
                                SecretBox(tmp_path / "k"))
    yield controller
    await controller.aclose()
    db.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "data" / "voicedock.db")
    database.migrate_sync()
    yield database
    database.close()


@pytest.fixture
def call_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", price_per_minute=0.6)


@pytest.fixture
async def controller(
    asterisk: AsteriskSettings, store: Database, call_settings: Settings
) -> AsyncIterator[CallController]:
    """A started controller with the tone session; closed (calls ended) after the test."""
    ctl = CallController(asterisk, call_settings, store, SecretBox(call_settings.data_dir / "secret.key"))
    await ctl.start()
    assert ctl.events is not None and ctl.events.connected, "ARI events websocket did not connect"
    try:
        yield ctl
    finally:
        await ctl.aclose()
