"""A `voicedock serve` killed with SIGKILL mid-call, and the one started after it: real server
processes, real Asterisk, a real SIP caller. Nothing stays in-progress; a caller still on the line
hears an apology and the call goes on; each webhook event arrives once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.webhooks.helpers import Receiver, receiving
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store import calls as store_calls
from voicedock.timeutil import parse_iso
from voicedock_ari.ari.client import AriClient
from voicedock_ari.settings import AsteriskSettings
from voicedock_bench.ports import free_port

from .audio import dominant_hz, read_wav, tone, write_wav
from .callers import BaresipCall, dial
from .conftest import CTL
from .harness import NUMBER, add_assistant, add_number, call, only_call, usage_rows, wait_for

pytestmark = pytest.mark.asterisk

EVENTS = ["status-update", "end-of-call-report"]


def start_server(data_dir: Path) -> subprocess.Popen[bytes]:
    """`voicedock serve` with telephony and the tone session, as an operator runs it."""
    port = free_port()
    log = (data_dir.parent / f"server-{port}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "voicedock_cli.main", "serve", "--session", "tone", "--port", str(port),
         "--data-dir", str(data_dir)], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "VOICEDOCK_PORT": str(port)})


def ari_connected(proc: subprocess.Popen[bytes]) -> bool:
    port = proc.args[proc.args.index("--port") + 1]  # type: ignore[index, union-attr]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as resp:
            body = json.loads(resp.read())
    except OSError as err:
        body = json.loads(err.read()) if hasattr(err, "read") else {}
    return body.get("checks", {}).get("asterisk", {}).get("ari") == "connected"


async def serving(data_dir: Path) -> subprocess.Popen[bytes]:
    proc = start_server(data_dir)
    await wait_for(lambda: proc.poll() is not None or ari_connected(proc), 30, "the server and its ARI connection")
    assert proc.poll() is None, "the server exited at start"
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hooks = Receiver()
    async with receiving(hooks) as url:
        yield hooks, url


async def until_no_caller(asterisk: AsteriskSettings, seconds: float) -> None:
    """Wait until Asterisk has no caller's channel left (media channels a killed server left aside)."""
    deadline = time.monotonic() + seconds
    async with AriClient(asterisk) as ari:
        while left := [c.id for c in await ari.list_channels() if not c.id.startswith("vd-media-")]:
            assert time.monotonic() < deadline, f"channels still up: {left}"
            await asyncio.sleep(0.2)


def sip_uri(asterisk: AsteriskSettings) -> str:
    return f"sip:{NUMBER}@127.0.0.1:{asterisk.sip_port}"


@asynccontextmanager
async def killed_mid_call(asterisk: AsteriskSettings, db: Database, tmp_path: Path, url: str, **assistant: Any,
                          ) -> AsyncIterator[tuple[BaresipCall, str, Path]]:
    """A server answering a real caller, SIGKILLed once the call is in progress."""
    data_dir = tmp_path / "data"
    add_number(db, add_assistant(db, box=SecretBox(data_dir / "secret.key"), webhook_url=url,
                                 webhook_events=EVENTS, first_message=None, **assistant))
    first = await serving(data_dir)
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 30.0))
    caller = await dial(tmp_path / "baresip", source, sip_uri(asterisk), seconds=35)
    try:
        row = await wait_for(only_call(db), 10, "the call record")
        await wait_for(lambda: call(db, row["id"])["status"] == "in-progress", 10, "the call to be answered")
        await asyncio.sleep(1.0)  # mid-call
        stop(first)
        yield caller, str(row["id"]), data_dir
    finally:
        stop(first)
        await caller.stop()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "data" / "voicedock.db")
    database.migrate_sync()
    yield database
    database.close()


def account_active_calls(db: Database) -> int:
    return int(db.read_sync(lambda d: store_calls.account(d))["active_calls"])


def delivered(hooks: Receiver, call_id: str) -> list[tuple[str, str]]:
    """(event type, status or '') of every webhook received for the call, in order."""
    out = []
    for received in hooks.received:
        message = received.json["message"]
        if message["call"]["id"] == call_id:
            out.append((message["type"], message.get("status", "")))
    return out


async def test_a_caller_still_on_the_line_is_picked_up_again_after_an_apology(
    asterisk: AsteriskSettings, db: Database, tmp_path: Path
) -> None:
    async with webhook_receiver() as (hooks, url), killed_mid_call(asterisk, db, tmp_path, url) as placed:
        caller, call_id, data_dir = placed
        started_at = call(db, call_id)["started_at"]
        second = await serving(data_dir)
        try:
            await wait_for(lambda: any(m["role"] == "assistant" for m in call(db, call_id)["messages"]), 5,
                           "the apology, within 5 s of the new server")
            await asyncio.sleep(2.0)
            assert call(db, call_id)["status"] == "in-progress", "the resumed call must go on"
            await caller.stop()  # the caller hangs up when done
            done = await wait_for(lambda: (c := call(db, call_id))["status"] == "ended" and c, 10, "the call ended")
            await wait_for(lambda: ("end-of-call-report", "") in delivered(hooks, call_id), 10, "the report")
            await asyncio.sleep(1.0)  # a duplicate would come now
        finally:
            stop(second)
    assert done["ended_reason"] == "customer-ended-call" and done["started_at"] == started_at
    assert done["duration_seconds"] > 3, "the call's time counts from its first answer"
    assert [m["content"] for m in done["messages"] if m["role"] == "assistant"] == ["Sorry, I lost you for a moment."]
    assert any(m["role"] == "system" and m["content"].startswith("The call was cut off") for m in done["messages"])
    assert len(usage_rows(db, call_id)) == 1 and account_active_calls(db) == 0
    ids = [r.event_id for r in hooks.received]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    events = delivered(hooks, call_id)
    assert events.count(("status-update", "in-progress")) == 1 and events.count(("status-update", "ended")) == 1
    assert events.count(("end-of-call-report", "")) == 1
    pcm, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    start = int(abs(pcm).argmax()) if len(pcm) else 0
    assert abs(dominant_hz(pcm[max(0, start - 400): start + 1200], rate) - 600) < 20, "the caller heard no apology"


def has_tone(pcm: np.ndarray, rate: int, hz: float, window: float = 0.2) -> bool:
    """Whether some `window` of `pcm` has a strong component at `hz` (beside whatever else plays)."""
    size = int(rate * window)
    freqs = np.fft.rfftfreq(size, 1 / rate)
    band = (freqs > hz - 15) & (freqs < hz + 15)
    for start in range(0, len(pcm) - size, size // 2):
        spectrum = np.abs(np.fft.rfft(pcm[start:start + size] * np.hanning(size)))
        if spectrum.max() > 0 and spectrum[band].max() > 0.3 * spectrum.max():
            return True
    return False


async def test_a_resumed_call_is_recorded_to_its_end_in_one_file(
    asterisk: AsteriskSettings, db: Database, tmp_path: Path
) -> None:
    async with webhook_receiver() as (_, url), killed_mid_call(asterisk, db, tmp_path, url,
                                                               recording_enabled=True) as placed:
        caller, call_id, data_dir = placed
        second = await serving(data_dir)
        try:
            await wait_for(lambda: any(m["role"] == "assistant" for m in call(db, call_id)["messages"]), 5,
                           "the apology")
            await asyncio.sleep(3.0)  # the resumed call goes on for a while
            await caller.stop()
            done = await wait_for(lambda: (c := call(db, call_id))["status"] == "ended" and c, 10, "the call ended")
        finally:
            stop(second)
    assert done["recording_url"] == f"/api/v1/calls/{call_id}/recording"
    pcm, rate = read_wav(data_dir / "recordings" / f"{call_id}.wav")
    assert len(pcm) / rate >= done["duration_seconds"] - 1.5, (
        f"{len(pcm) / rate:.1f} s recorded of a {done['duration_seconds']} s call")
    assert has_tone(pcm, rate, 600.0), "the apology, said after the restart, is not in the recording"
    assert has_tone(pcm[: rate * 2], rate, 440.0), "the caller before the restart is not in the recording"
    spool = asterisk.root / "var/spool/asterisk/recording" if asterisk.root else None
    assert spool is None or not list(spool.glob(f"{call_id}*")), "a part was left in Asterisk's spool"


@pytest.mark.parametrize("gone", ["caller-hung-up", "asterisk-restarted"])
async def test_a_call_whose_channel_went_while_no_server_ran_is_closed_at_its_last_activity(
    asterisk: AsteriskSettings, db: Database, tmp_path: Path, gone: str
) -> None:
    async with webhook_receiver() as (hooks, url), killed_mid_call(asterisk, db, tmp_path, url) as placed:
        caller, call_id, data_dir = placed
        killed_at = time.time()
        if gone == "caller-hung-up":
            await caller.stop()  # the caller gives up while nothing answers
        else:
            restart = await asyncio.to_thread(subprocess.run, [str(CTL), "restart"], capture_output=True, timeout=60)
            assert restart.returncode == 0, restart.stderr
        await until_no_caller(asterisk, 10)
        second = await serving(data_dir)
        try:
            done = await wait_for(lambda: (c := call(db, call_id))["status"] == "ended" and c, 15, "the call closed")
            await wait_for(lambda: ("end-of-call-report", "") in delivered(hooks, call_id), 10, "the report")
            await asyncio.sleep(1.0)
        finally:
            stop(second)
    assert done["ended_reason"] == "service-restarted"
    assert parse_iso(done["ended_at"]).timestamp() <= killed_at, "the call must end at its last activity, not at the restart"
    assert len(usage_rows(db, call_id)) == 1 and account_active_calls(db) == 0
    assert delivered(hooks, call_id).count(("end-of-call-report", "")) == 1
    assert ("status-update", "ended") in delivered(hooks, call_id)


async def test_a_call_placed_while_no_server_is_connected_is_answered_once_one_is(
    asterisk: AsteriskSettings, db: Database, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    add_number(db, add_assistant(db, box=SecretBox(data_dir / "secret.key")))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 15.0))
    caller = await dial(tmp_path / "baresip", source, sip_uri(asterisk), seconds=20)
    server = None
    try:
        await asyncio.sleep(2.0)  # Asterisk has the call and no app to give it to
        server = await serving(data_dir)
        row = await wait_for(only_call(db), 10, "the call record")
        await wait_for(lambda: call(db, row["id"])["status"] == "in-progress", 10, "the call to be answered")
    finally:
        if server is not None:
            stop(server)
        await caller.stop()


async def test_a_call_no_server_takes_within_the_hold_is_refused_with_503(
    asterisk: AsteriskSettings, db: Database, tmp_path: Path
) -> None:
    """With no server at all the caller hears ringing while the dialplan waits for one, then a clear
    refusal (503 Service Unavailable) about 10 s later, not silence until it gives up."""
    add_number(db, add_assistant(db))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 20.0))
    started = time.monotonic()
    caller = await dial(tmp_path / "baresip", source, sip_uri(asterisk), seconds=25)
    try:
        await wait_for(lambda: "503" in caller.log or caller.process.returncode is not None, 20, "the refusal")
        took = time.monotonic() - started
    finally:
        await caller.stop()
    log = caller.log
    assert "503" in log and "Service Unavailable" in log, log[-2000:]
    assert "180" in log or "ringing" in log.lower(), log[-2000:]
    assert 9 < took < 15, f"refused after {took:.1f} s"
    assert caller.heard_wav is None, "the call was answered"
