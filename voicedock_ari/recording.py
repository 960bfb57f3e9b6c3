"""A call's recording: started on its bridge in Asterisk, moved out of Asterisk's spool at the end.

Asterisk writes the file into its own spool; the call's record links to the copy in the data
directory, which the API serves at `/calls/{id}/recording`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

from voicedock.private_files import PRIVATE_FILE, private_dir, restrict

from .ari.client import AriClient

log = logging.getLogger("voicedock.calls")

RECORDING_SPOOL = Path("var/spool/asterisk/recording")


class RecordingSpool:
    def __init__(self, asterisk_root: Path | None, data_dir: Path, call_id: str) -> None:
        self.asterisk_root = asterisk_root
        self.data_dir = data_dir
        self.call_id = call_id
        self.name: str | None = None  # set once Asterisk is recording

    async def start(self, ari: AriClient, bridge_id: str) -> None:
        """Record the bridge; a failure is logged and the call goes on unrecorded."""
        if self.asterisk_root is None:
            return
        try:
            await ari.record(bridge_id, self.call_id, format="wav", if_exists="overwrite", bridge=True)
            self.name = self.call_id
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("recording could not start", extra={"call_id": self.call_id}, exc_info=True)

    async def stop(self, ari: AriClient) -> None:
        if self.name:
            await ari.stop_recording(self.name)

    def collect(self) -> str | None:
        """Move the file to `<data_dir>/recordings/<call_id>.wav`; its API URL, or None if there is none."""
        if not self.name or self.asterisk_root is None:
            return None
        source = self.asterisk_root / RECORDING_SPOOL / f"{self.name}.wav"
        if not source.is_file():
            return None
        target = private_dir(self.data_dir / "recordings") / f"{self.call_id}.wav"
        shutil.move(str(source), target)
        make_own(target)
        return f"/api/v1/calls/{self.call_id}/recording"


def make_own(path: Path) -> None:
    """Give a moved recording this process's owner and mode 0600.

    Asterisk runs as its own user, so the file it wrote keeps that owner (and its mode) through the
    move, and only an owner may chmod it: rewrite it as a file of ours, then replace the original.
    """
    if path.stat().st_uid == os.geteuid():
        restrict(path, PRIVATE_FILE)
        return
    tmp = path.with_name(f".{path.name}.tmp")
    with path.open("rb") as src, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE),
                                           "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(tmp, path)
