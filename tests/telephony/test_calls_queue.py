"""Past the capacity, callers may wait with music (VOICEDOCK_CALL_QUEUE), through the real Asterisk: a
waiting caller hears music, gets the line when a call ends and is answered by the assistant; the
caller past the queue, and one who waited `queue_seconds`, hear the busy message (`rejected`/`capacity`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicedock.config import Settings
from voicedock.engines.loader import Engines
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .audio import read_wav, tone, write_wav
from .callers import dial
from .harness import add_assistant, add_number, call, calls, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
QUEUE_SECONDS = 8.0


@pytest.fixture
def call_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", call_capacity=1, call_queue=1, queue_seconds=QUEUE_SECONDS)


def _other(store: Database, *known: str) -> dict | None:  # type: ignore[type-arg]
    return next((c for c in calls(store) if c["id"] not in known), None)


async def test_a_waiting_caller_hears_music_and_gets_the_line_when_a_call_ends(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    add_number(store, add_assistant(store, first_message="Hello, this is the clinic."))
    source = tmp_path / "caller.wav"
    write_wav(source, np.zeros(8000 * 30, np.int16))  # the callers say nothing
    first = second = None
    try:
        first = await dial(tmp_path / "first", source, uri(controller), seconds=30)
        row = await wait_for(lambda: (c := calls(store)) and c[0], 10, "the first call's record")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "the first call answered")

        second = await dial(tmp_path / "second", source, uri(controller), seconds=14)
        waiting = await wait_for(lambda: _other(store, row["id"]), 10, "the second call's record")
        await wait_for(lambda: controller.health()["capacity"]["waiting"] == 1, 10, "the second caller waiting")
        await asyncio.sleep(3.0)  # music meanwhile
        assert call(store, waiting["id"])["status"] not in ("in-progress", "rejected")
        await first.stop()

        await wait_for(lambda: call(store, waiting["id"])["status"] == "in-progress", 10, "the second call admitted")
        assert controller.health()["capacity"]["waiting"] == 0
        await asyncio.wait_for(second.process.wait(), 30)
        done = await wait_for(lambda: (c := call(store, waiting["id"]))["status"] == "ended" and c, 15, "its end")
        assert done["ended_reason"] == "customer-ended-call"
        assert [m["content"] for m in done["messages"] if m["role"] == "assistant"][:1] == ["Hello, this is the clinic."]

        heard, rate = read_wav(second.heard_wav)  # type: ignore[arg-type]
        music = heard[rate // 2: rate * 3].astype(np.float64)
        assert np.sqrt(np.mean(music ** 2)) > 300, "the waiting caller heard silence"
    finally:
        for phone in (first, second):
            if phone is not None:
                await phone.stop()


async def test_past_the_queue_and_past_the_wait_callers_hear_the_busy_message(
    controller: CallController, store: Database, tmp_path: Path, ci_engines: Engines
) -> None:
    add_number(store, add_assistant(store))
    source = tmp_path / "caller.wav"
    write_wav(source, tone(440.0, 30.0))
    phones = []
    try:
        phones.append(await dial(tmp_path / "first", source, uri(controller), seconds=30))
        row = await wait_for(lambda: (c := calls(store)) and c[0], 10, "the first call's record")
        await wait_for(lambda: call(store, row["id"])["status"] == "in-progress", 10, "the first call answered")
        phones.append(await dial(tmp_path / "second", source, uri(controller), seconds=20))
        waiting = await wait_for(lambda: _other(store, row["id"]), 10, "the second call's record")
        await wait_for(lambda: controller.health()["capacity"]["waiting"] == 1, 10, "the second caller waiting")

        phones.append(await dial(tmp_path / "third", source, uri(controller), seconds=12))
        third = await wait_for(lambda: _other(store, row["id"], waiting["id"]), 10, "the third call's record")
        third = await wait_for(lambda: (c := call(store, third["id"]))["status"] == "rejected" and c, 15,
                               "the third call refused at once")
        assert third["ended_reason"] == "capacity"
        assert call(store, waiting["id"])["status"] != "rejected", "the waiting caller was refused too early"

        refused = await wait_for(lambda: (c := call(store, waiting["id"]))["status"] == "rejected" and c,
                                 QUEUE_SECONDS + 10, "the waiting caller refused after the longest wait")
        assert refused["ended_reason"] == "capacity"
        assert call(store, row["id"])["status"] == "in-progress", "refusals must not end the live call"
        await asyncio.wait_for(phones[1].process.wait(), 30)
        heard, rate = read_wav(phones[1].heard_wav)  # type: ignore[arg-type]
        words = (await ci_engines.stt.transcribe(heard, rate)).text.lower()
        assert "busy" in words, f"the caller who waited heard {words!r} ({len(heard) / rate:.1f} s)"
    finally:
        for phone in phones:
            await phone.stop()
