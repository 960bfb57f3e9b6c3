"""A call's recording: started on its bridge in Asterisk, moved out of Asterisk's spool at the end.

Asterisk writes the file into its own spool; the call's record links to the copy in the data
directory, which the API serves at `/calls/{id}/recording`. A call picked up again after a restart
is recorded on in a new part, and its parts become that one file (`recording_parts`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from pathlib import Path

from voicedock.private_files import PRIVATE_FILE, private_dir, restrict

from .ari.client import AriClient
from .recording_parts import join, ordered_parts, resumed_part

log = logging.getLogger("voicedock.calls")

RECORDING_SPOOL = Path("var/spool/asterisk/recording")


class RecordingSpool:
    def __init__(self, asterisk_root: Path | None, data_dir: Path, call_id: str) -> None:
        self.asterisk_root = asterisk_root
        self.data_dir = data_dir
        self.call_id = call_id
        self.name: str | None = None  # the part Asterisk is recording now
        self.adopted = False  # a previous process recorded parts of this call

    @property
    def spool(self) -> Path | None:
        return self.asterisk_root / RECORDING_SPOOL if self.asterisk_root is not None else None

    def adopt(self) -> None:
        """This call was recorded by a process that died: its parts are collected at the end."""
        self.adopted = True

    async def start(self, ari: AriClient, bridge_id: str) -> None:
        """Record the bridge; a failure is logged and the call goes on unrecorded."""
        if self.asterisk_root is None:
            return
        name = resumed_part(self.call_id, time.time_ns()) if self.adopted or self.name else self.call_id
        try:
            await ari.record(bridge_id, name, format="wav", if_exists="overwrite", bridge=True)
            self.name = name
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("recording could not start", extra={"call_id": self.call_id}, exc_info=True)

    async def stop(self, ari: AriClient) -> None:
        if self.name:
            await ari.stop_recording(self.name)

    async def stop_all(self, ari: AriClient) -> None:
        """Stop whichever part a lost process left recording (a gone bridge has stopped it already)."""
        for name in self.part_names():
            try:
                await ari.stop_recording(name)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.debug("stopping recording part %s: %r", name, err)

    def part_names(self) -> list[str]:
        """The call's parts in Asterisk's spool, in recording order."""
        if self.spool is None or not self.spool.is_dir():
            return []
        return ordered_parts(self.call_id, (p.stem for p in self.spool.glob(f"{self.call_id}*.wav")))

    def collect(self) -> str | None:
        """Move (or join) the parts to `<data_dir>/recordings/<call_id>.wav`; its API URL, or None."""
        if not (self.name or self.adopted) or self.spool is None:
            return None
        sources = [self.spool / f"{name}.wav" for name in self.part_names()]
        if not sources:
            return None
        target = private_dir(self.data_dir / "recordings") / f"{self.call_id}.wav"
        if len(sources) == 1:
            shutil.move(str(sources[0]), target)
            make_own(target)
        else:
            joined = target.with_name(f".{target.name}.joining")
            os.close(os.open(joined, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
            used = join(sources, joined)
            if not used:
                joined.unlink()
                log.warning("recording parts are not WAV files", extra={"call_id": self.call_id})
                return None
            os.replace(joined, target)
            for source in used:
                source.unlink(missing_ok=True)
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
