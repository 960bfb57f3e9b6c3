"""End to end: a real SIP caller asks a spoken question through Asterisk and hears a spoken answer
from the local models; the call record holds both sides, the turn's latency and the analysis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicedock.audio import resample
from voicedock.conversation.analysis import analyse
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import Engines
from voicedock.store import Database
from voicedock_ari.controller import CallController

from .audio import read_wav, rms, write_wav
from .callers import dial
from .harness import add_assistant, add_number, call, only_call, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
QUESTION = "Hello. What time do you open tomorrow morning?"
PLAN = {"summary_prompt": "Summarise the call in one sentence.",
        "structured_data_plan": {"enabled": True, "schema": {
            "type": "object", "properties": {"asked_about_hours": {"type": "boolean"}},
            "required": ["asked_about_hours"]}}}


async def caller_audio(engines: Engines) -> np.ndarray:
    chunks = [c async for c in engines.tts.synthesize(QUESTION)]
    speech = resample(np.concatenate([c.pcm16 for c in chunks]), chunks[0].rate, 8000).astype(np.int16)
    return np.concatenate([np.zeros(8000, np.int16), speech, np.zeros(8000 * 20, np.int16)])


async def test_a_spoken_question_gets_a_spoken_answer_and_a_complete_record(
    controller: CallController, store: Database, tmp_path: Path, ci_engines: Engines
) -> None:
    async def analyser(assistant: Any, messages: list, tool_calls: list) -> Any:
        return await analyse(ci_engines.llm, assistant, messages, tool_calls)

    controller.session_factory = voice_session_factory(ci_engines)
    controller.analyser = analyser
    add_number(store, add_assistant(
        store, system_prompt="You are the front desk of Acme Dental. We open at 8 am. Answer in one short sentence.",
        first_message_mode="assistant-waits-for-user", analysis_plan=PLAN))
    source = tmp_path / "caller.wav"
    write_wav(source, await caller_audio(ci_engines))
    caller = await dial(tmp_path / "baresip", source, uri(controller),
                        seconds=22)
    try:
        row = await wait_for(only_call(store), 10, "the call record")
        await asyncio.wait_for(caller.process.wait(), 30)
    finally:
        await caller.stop()
    done = await wait_for(lambda: (c := call(store, row["id"]))["analysis"] and c, 60, "the analysis")

    heard, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    windows = heard[: len(heard) // 1600 * 1600].reshape(-1, 1600).astype(np.float64)
    loud = np.sqrt((windows**2).mean(axis=1)) > 300
    assert loud.sum() >= 5, f"the caller heard no speech (rms {rms(heard):.0f})"
    answer = await ci_engines.stt.transcribe(heard, rate)
    assert answer.text.strip(), "what the caller heard does not transcribe to any words"

    said = " ".join(m["content"] for m in done["messages"] if m["role"] == "user").lower()
    assert "open" in said and "tomorrow" in said, done["messages"]
    assert any(m["role"] == "assistant" and m["content"].strip() for m in done["messages"])
    assert done["latency"] and done["latency"][0]["total_ms"] > 0
    assert isinstance(done["analysis"]["structured_data"]["asked_about_hours"], bool)
    assert done["summary"]
