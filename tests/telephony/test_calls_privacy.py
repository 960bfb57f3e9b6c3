"""Privacy on real calls: gdpr_mode records nothing; a recording kept is the server's private file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from voicedock.store import Database
from voicedock_ari.controller import CallController

from .harness import add_assistant, add_number, short_tone_call

pytestmark = pytest.mark.asterisk


async def test_a_gdpr_mode_call_leaves_no_recording_anywhere(controller: CallController, store: Database,
                                                               tmp_path: Path) -> None:
    add_number(store, add_assistant(store, recording_enabled=True, gdpr_mode=True))
    done = await short_tone_call(controller, store, tmp_path)
    assert done["recording_url"] is None
    assert not (controller.settings.data_dir / "recordings" / f"{done['id']}.wav").exists()
    assert controller.asterisk.root is not None
    spool = controller.asterisk.root / "var/spool/asterisk/recording"
    assert not list(spool.glob(f"{done['id']}*")), "Asterisk recorded the call"


async def test_a_recorded_call_leaves_a_private_file_of_the_servers_own(controller: CallController, store: Database,
                                                                         tmp_path: Path) -> None:
    """Asterisk writes the recording as its own user; the copy in the data directory is the server's, 0600."""
    add_number(store, add_assistant(store, recording_enabled=True))
    done = await short_tone_call(controller, store, tmp_path)
    assert done["recording_url"]
    info = (controller.settings.data_dir / "recordings" / f"{done['id']}.wav").stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o600)
