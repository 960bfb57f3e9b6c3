"""A node with room for one call, through the real Asterisk: a second caller at the same time hears that
all circuits are busy and is hung up on with a `rejected`/`capacity` record; the first call goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voicedock.config import Settings
from voicedock.engines.loader import Engines
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .audio import read_wav, tone, write_wav
from .callers import dial
from .harness import add_assistant, add_number, call, calls, uri, wait_for, webhook_events

pytestmark = [pytest.mark.asterisk, pytest.mark.models]


@pytest.fixture
def call_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", price_per_minute=0.6, call_capacity=1)


async def test_a_call_past_capacity_hears_the_busy_message_and_the_first_call_goes_on(
    controller: CallController, store: Database, tmp_path: Path, ci_engines: Engines
) -> None:
    add_number(store, add_assistant(store))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 30.0))
    first = second = None
    try:
        first = await dial(tmp_path / "first", source, uri(controller), seconds=30)
        row = await wait_for(lambda: (c := calls(store)) and c[0], 10, "the first call's record")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "the first call answered")
        assert controller.health()["capacity"]["status"] == "full"

        second = await dial(tmp_path / "second", source, uri(controller), seconds=12)
        refused = await wait_for(lambda: next((c for c in calls(store) if c["id"] != row["id"]), None), 10,
                                 "the second call's record")
        refused = await wait_for(lambda: (c := call(store, refused["id"]))["status"] == "rejected" and c, 15,
                                 "the second call to be refused")
        assert refused["ended_reason"] == "capacity"
        await asyncio.wait_for(second.process.wait(), 20)  # its recording of what it heard is complete
        assert "session closed" in second.log, "the second caller was not hung up on"
        assert webhook_events(store, refused["id"]) == []
        assert call(store, row["id"])["status"] == "in-progress", "a refused call must not end the live one"

        heard, rate = read_wav(second.heard_wav)  # type: ignore[arg-type]
        words = (await ci_engines.stt.transcribe(heard, rate)).text.lower()
        assert "busy" in words, f"the second caller heard {words!r}"

        await first.stop()
        done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 10, "the end")
        assert done["ended_reason"] == "customer-ended-call"
        assert controller.health()["capacity"] == {"capacity": 1, "active_calls": 0, "available": 1, "status": "ok",
                                                 "waiting": 0, "queue": 0}
    finally:
        for phone in (first, second):
            if phone is not None:
                await phone.stop()
