"""SIGTERM to a real `voicedock serve` with a live call: the call finishes, new calls are refused, then it exits."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from voicedock.store import Database
from voicedock_ari.settings import AsteriskSettings
from voicedock_bench.ports import free_port

from .audio import tone, write_wav
from .callers import dial
from .harness import NUMBER, add_assistant, add_number, call, calls, wait_for

pytestmark = pytest.mark.asterisk


def health(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())
    except OSError:
        return 0, {}


async def test_sigterm_lets_a_live_call_finish_refuses_new_calls_then_exits(
        asterisk: AsteriskSettings, tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Database(data / "voicedock.db")
    store.migrate_sync()
    add_number(store, add_assistant(store))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicedock_cli.main", "serve", "--session", "tone", "--port", str(port),
        "--data-dir", str(data),
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "VOICEDOCK_DRAIN_SECONDS": "60"})
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 30.0))
    uri = f"sip:{NUMBER}@127.0.0.1:{asterisk.sip_port}"
    caller = late = None
    try:
        await wait_for(lambda: health(base)[1].get("checks", {}).get("asterisk", {}).get("ari") == "connected",
                       30, "the server and its ARI connection")
        caller = await dial(tmp_path / "caller", source, uri, seconds=40)
        first = await wait_for(lambda: (c := calls(store)) and c[0], 10, "the call record")
        await wait_for(lambda: call(store, first["id"])["status"] == "in-progress", 10, "the call to be answered")

        server.send_signal(signal.SIGTERM)
        await wait_for(lambda: health(base)[0] == 503, 5, "/health to answer 503")
        assert health(base)[1]["status"] == "draining"
        await asyncio.sleep(2.0)
        assert server.returncode is None, "the server must wait for the live call"
        assert call(store, first["id"])["status"] == "in-progress"

        late = await dial(tmp_path / "late", source, uri, seconds=20)
        refused = await wait_for(lambda: next((c for c in calls(store) if c["id"] != first["id"]), None), 10,
                                 "the late call's record")
        refused = await wait_for(lambda: (c := call(store, refused["id"]))["status"] == "rejected" and c, 15,
                                 "the late call to be refused")
        assert refused["ended_reason"] == "server-draining"
        assert call(store, first["id"])["status"] == "in-progress", "a refused call must not end the live one"

        await caller.stop()  # the caller hangs up: the call ends the normal way
        done = await wait_for(lambda: (c := call(store, first["id"]))["status"] == "ended" and c, 10, "the end")
        assert done["ended_reason"] == "customer-ended-call"
        assert await asyncio.wait_for(server.wait(), 15) == 0
    finally:
        for phone in (caller, late):
            if phone is not None:
                await phone.stop()
        if server.returncode is None:
            server.kill()
            await server.wait()
        log.close()
        store.close()
    assert "Traceback" not in (tmp_path / "server.log").read_text()
