"""What a call survives: the ARI websocket dropping mid-call, and Asterisk restarting mid-call."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from tests.commands import command
from voicedock.store import Database
from voicedock_ari.controller import CallController
from voicedock_ari.settings import asterisk_root

from .audio import tone, write_wav
from .callers import dial
from .conftest import CTL
from .harness import add_assistant, add_number, call, only_call, uri, usage_rows, wait_for, webhook_events

pytestmark = pytest.mark.asterisk



async def test_call_survives_the_events_websocket_dropping(controller: CallController, store: Database,
                                                           tmp_path: Path) -> None:
    add_number(store, add_assistant(store))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 12.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=15)
    try:
        row = await wait_for(only_call(store), 10, "the call")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "in-progress")
        assert controller.events is not None
        connects = controller.events.connects
        await controller.events.disconnect()
        await wait_for(lambda: controller.events.connects > connects and controller.events.connected, 10,
                       "the websocket to come back")
        await asyncio.sleep(0.5)  # reconcile ran
        assert controller.is_live(row["id"]), "a call whose channel is still up must go on"
        await controller.control(row["id"], command({"type": "end-call"}))
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
    finally:
        await caller.stop()
    assert done["ended_reason"] == "assistant-ended-call"
    assert webhook_events(store, row["id"]).count("end-of-call-report") == 1


def restart_asterisk(crash: bool) -> None:
    """`asterisk-ctl restart` (channels hung up), or SIGKILL and start (channels vanish unannounced)."""
    if crash:
        pid = (asterisk_root() / "run/asterisk/asterisk.pid").read_text().strip()
        subprocess.run(["kill", "-KILL", pid], check=True)
        for _ in range(50):
            if subprocess.run(["kill", "-0", pid], capture_output=True).returncode != 0:
                break
            time.sleep(0.1)
        command = [str(CTL), "start"]
    else:
        command = [str(CTL), "restart"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "crash"])
async def test_asterisk_restart_mid_call_fails_the_call_and_keeps_its_record(
    controller: CallController, store: Database, tmp_path: Path, crash: bool
) -> None:
    add_number(store, add_assistant(store))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 12.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=15)
    try:
        row = await wait_for(only_call(store), 10, "the call")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "in-progress")
        await asyncio.to_thread(restart_asterisk, crash)
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "failed" and c, 20, "failed")
    finally:
        await caller.stop()
    assert done["ended_reason"] == "error" and done["ended_at"] and done["duration_seconds"] > 0
    assert len(usage_rows(store, row["id"])) == 1
    assert webhook_events(store, row["id"]).count("end-of-call-report") == 1
    await wait_for(lambda: controller.events is not None and controller.events.connected, 15, "ARI back")
    assert not await controller.ari.list_bridges(), "no bridge of ours may be left behind"
