"""Two callers at once through the real Asterisk, each to a number of its own assistant, answered by
the voice session on the ci models: each hears its own assistant's greeting, and both calls end with
complete records. Both prompts are evaluated on the one shared LLM while the greetings play."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import Engines
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .audio import read_wav, write_wav
from .callers import dial
from .harness import add_assistant, add_number, call, calls, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]

ASSISTANTS = {
    "+15550100": ("asst_bakery", "You answer the phone for the corner bakery.", "Welcome to the bakery."),
    "+15550101": ("asst_garden", "You answer the phone for the garden shop.", "Welcome to the garden shop."),
}


async def test_two_callers_to_two_assistants_at_once_each_hear_their_own(
    controller: CallController, store: Database, tmp_path: Path, ci_engines: Engines
) -> None:
    controller.session_factory = voice_session_factory(ci_engines)
    for number, (ident, prompt, greeting) in ASSISTANTS.items():
        add_number(store, add_assistant(store, ident, system_prompt=prompt, first_message=greeting), number)
    source = tmp_path / "silence.wav"
    write_wav(source, np.zeros(8000 * 12, np.int16))
    callers = {number: await dial(tmp_path / number, source, uri(controller, number), seconds=10)
               for number in ASSISTANTS}
    try:
        rows = await wait_for(lambda: c if len(c := calls(store)) == 2 else None, 10, "both call records")
        await wait_for(lambda: all(call(store, r["id"])["status"] == "in-progress" for r in rows), 10,
                       "both calls answered at once")
        await asyncio.gather(*(asyncio.wait_for(c.process.wait(), 30) for c in callers.values()))
        done = {r["agent_phone"]: await wait_for(lambda r=r: (c := call(store, r["id"]))["status"] == "ended" and c,
                                                 15, "the end") for r in rows}
    finally:
        for caller in callers.values():
            await caller.stop()

    for number, (ident, _, greeting) in ASSISTANTS.items():
        record = done[number]
        assert record["assistant_id"] == ident and record["ended_reason"] == "customer-ended-call"
        assert [m["content"] for m in record["messages"] if m["role"] == "assistant"][:1] == [greeting]
        heard, rate = read_wav(callers[number].heard_wav)  # type: ignore[arg-type]
        words = (await ci_engines.stt.transcribe(heard, rate)).text.lower()
        own, other = ("bakery", "garden") if ident == "asst_bakery" else ("garden", "bakery")
        assert own in words and other not in words, f"the caller of {number} heard {words!r}"
