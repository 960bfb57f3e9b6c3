"""Helpers for call tests against the real Asterisk: a store with an assistant and a number,
a running `CallController`, and polling for the state a user would see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock.store import calls as store_calls
from voicedock.store.documents import ASSISTANTS

from .audio import tone, write_wav
from .callers import BaresipCall, dial

NUMBER = "+15550100"

ASSISTANT: dict[str, Any] = {
    "name": "Test assistant",
    "system_prompt": "You are a test.",
    "first_message": None,
    "is_active": True,
    "max_duration_seconds": 60,
    "recording_enabled": False,
    "gdpr_mode": False,
    "webhook_url": "http://127.0.0.1:9/hook",
    "webhook_events": ["status-update", "end-of-call-report", "transcript"],
}


def uri(controller: Any, number: str = NUMBER) -> str:
    """The SIP URI a local caller dials to reach `number` through the controller's Asterisk."""
    return f"sip:{number}@127.0.0.1:{controller.asterisk.sip_port}"


async def add_loopback_trunk(controller: Any, store: Database, port: int, **fields: Any) -> dict[str, Any]:
    """A SIP trunk to a test endpoint on 127.0.0.1:`port`, applied to Asterisk over AMI."""
    trunk = store.write_sync(lambda d: records.create_trunk(d, controller.box, {
        "name": "Loopback carrier", "host": "127.0.0.1", "port": port, "transport": "udp",
        "codecs": ["ulaw"], "register": False, **fields}))
    await controller.config_changed()  # writes the include and reloads PJSIP over AMI
    return trunk


def add_assistant(db: Database, ident: str = "asst_test", box: SecretBox | None = None, **fields: Any) -> str:
    """An assistant document; with `box` it also gets a webhook secret (request-response webhooks need one)."""
    doc = {**ASSISTANT, **fields}
    secret = box.encrypt("test-webhook-secret") if box is not None else None
    db.write_sync(lambda d: ASSISTANTS.insert(d, ident, doc, webhook_secret_enc=secret))
    return ident


def add_number(db: Database, assistant_id: str | None, phone: str = NUMBER) -> str:
    row = db.write_sync(lambda d: records.create_number(d, {"phone_number": phone, "assistant_id": assistant_id}))
    return str(row["id"])


def call(db: Database, call_id: str) -> dict[str, Any]:
    return db.read_sync(lambda d: store_calls.get_call(d, call_id))


def calls(db: Database) -> list[dict[str, Any]]:
    return db.read_sync(lambda d: store_calls.list_calls(d, limit=100, offset=0)[0])


def webhook_events(db: Database, call_id: str) -> list[str]:
    rows = db.read_sync(
        lambda d: list(d.query("SELECT event_type FROM webhook_events WHERE call_id = ? ORDER BY rowid", [call_id]))
    )
    return [r["event_type"] for r in rows]


def usage_rows(db: Database, call_id: str) -> list[dict[str, Any]]:
    return db.read_sync(lambda d: list(d.query("SELECT * FROM usage WHERE call_id = ?", [call_id])))


async def wait_for(check: Callable[[], Any], seconds: float = 10.0, what: str = "condition") -> Any:
    """Poll until `check()` is truthy; fails the test with `what` on timeout."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def only_call(db: Database) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        items = calls(db)
        return items[0] if len(items) == 1 else None

    return check


@dataclass
class PlacedCall:
    """A call placed by `start_live_call`: its id, the caller's phone, and the record as stored now."""

    call_id: str
    caller: BaresipCall
    store: Database

    def record(self) -> dict[str, Any]:
        return call(self.store, self.call_id)

    async def ended(self, seconds: float = 10.0) -> dict[str, Any]:
        """The record once the call has ended (any final status)."""
        final = ("ended", "failed", "rejected")
        return await wait_for(lambda: (c := self.record())["status"] in final and c, seconds, "the call to end")


async def short_tone_call(controller: Any, store: Database, tmp_path: Path) -> dict[str, Any]:
    """A caller who plays a tone for 3 s and hangs up; the call's record once it has ended."""
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 4.0))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=3)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        await asyncio.wait_for(caller.process.wait(), 15)
        return await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "ended")
    finally:
        await caller.stop()


@asynccontextmanager
async def start_live_call(
    controller: Any, store: Database, workdir: Path, audio: np.ndarray, *, seconds: int = 12,
    answered: bool = True, **assistant: Any,
) -> AsyncIterator[PlacedCall]:
    """A number with an assistant (`assistant` fields over the test default, with a webhook secret),
    a real SIP caller dialing it with `audio` (8 kHz int16) as its microphone, and the call record;
    with `answered` it waits until the call is in progress. The caller is stopped on exit."""
    add_number(store, add_assistant(store, box=controller.box, **assistant))
    source = workdir / "caller.wav"
    write_wav(source, audio)
    caller = await dial(workdir / "baresip", source, uri(controller), seconds=seconds)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        test_call = PlacedCall(str(row["id"]), caller, store)
        if answered:
            await wait_for(lambda: test_call.record()["status"] == "in-progress", 10, "the call to be answered")
        yield test_call
    finally:
        await caller.stop()
