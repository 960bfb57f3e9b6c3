"""kill -9 in the middle of deliveries: every committed event still arrives, nothing else does."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import web

from voicedock.secrets import SecretBox
from voicedock.store import Database

from .helpers import add_assistant, event_rows, wait_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("worker_proc.py")


async def spawn(db: Database, key: Path, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        str(db.path),
        str(key),
        *args,
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=str(ROOT),
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert line.strip() == b"ready"
    return proc


async def kill9(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()


async def test_kill_9_mid_delivery_loses_nothing_and_invents_nothing(
    db: Database, box: SecretBox, tmp_path: Path, make_receiver: Any
) -> None:
    async def slowish(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.sleep(0.03)  # keeps several deliveries in flight when the process dies
        return web.json_response({})

    receiver, server = await make_receiver()
    receiver.routes["/hook"] = slowish
    config = {"webhook_url": str(server.make_url("/hook")), "webhook_events": ["transcript"]}
    add_assistant(db, box, config)
    key = tmp_path / "secret.key"

    first = await spawn(db, key, "produce", "400")
    try:
        await wait_for(lambda: len(receiver.received) >= 40, within=20)
    finally:
        await kill9(first)
    received_before_restart = len(receiver.received)
    committed = set(await db.read(event_rows))
    assert 0 < received_before_restart and len(committed) >= 40

    second = await spawn(db, key, "drain")
    try:
        await wait_for(lambda: committed <= {r.event_id for r in receiver.received}, within=20)
        await asyncio.sleep(0.2)
    finally:
        await kill9(second)

    bodies: dict[str, set[str]] = defaultdict(set)
    for r in receiver.received:
        bodies[r.event_id].add(r.body)
    assert set(bodies) == committed  # all committed events arrived; no id that was never committed
    assert all(len(b) == 1 for b in bodies.values())  # a duplicate is only ever a retry of the same event
    assert receiver.bad_signatures == 0
