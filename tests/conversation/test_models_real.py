"""A short conversation through the real `ci` engines (Whisper tiny.en, SmolLM2, Piper, WebRTC VAD)."""

from __future__ import annotations

import asyncio

import jsonschema
import numpy as np
import pytest

from tests.conversation.harness import run_call
from voicedock.assistant import CallAssistant
from voicedock.conversation.analysis import analyse
from voicedock.engines.loader import Engines

pytestmark = pytest.mark.models

SCHEMA = {
    "type": "object",
    "properties": {"wants_appointment": {"type": "boolean"}, "day": {"type": ["string", "null"]}},
    "required": ["wants_appointment", "day"],
}


async def _speech(engines: Engines, text: str) -> np.ndarray:
    chunks = [c async for c in engines.tts.synthesize(text)]
    assert all(c.rate == 8000 for c in chunks)
    return np.concatenate([c.pcm16 for c in chunks]).astype(np.int16)


def test_a_caller_gets_a_spoken_reply_and_a_valid_analysis(ci_engines: Engines) -> None:
    caller = asyncio.run(_speech(ci_engines, "Hello, I would like to book an appointment for tomorrow morning."))
    assistant = {
        "system_prompt": "You are a friendly receptionist at a dental clinic.",
        "first_message": None,
        "llm_config": {"max_tokens": 40},
        "analysis_plan": {
            "structured_data_plan": {"enabled": True, "schema": SCHEMA},
            "success_evaluation_plan": {"rubric": "pass-fail"},
        },
    }
    script = [("silence", 0.5), ("audio", caller), ("silence", 60.0)]
    result = run_call(
        script,
        assistant=assistant,
        engines=ci_engines,
        virtual=False,
        max_seconds=60,
        stop_when=lambda r: bool(r.messages("assistant")),
    )
    said = result.recorder.messages("user")
    assert said and "appointment" in said[0].lower()
    replies = result.recorder.messages("assistant")
    assert not result.timed_out and replies and replies[0].strip()
    out = np.concatenate(result.audio.pcm_out).astype(np.float64)
    assert np.sqrt(np.mean(out**2)) > 300  # speech, not silence
    assert result.recorder.of("latency")
    messages = result.recorder.of("message")
    analysis = asyncio.run(analyse(ci_engines.llm, CallAssistant.parse(assistant), messages))
    jsonschema.validate(analysis["structured_data"], SCHEMA)
    assert isinstance(analysis["summary"], str) and analysis["summary"]
    assert analysis["success_evaluation"] in (True, False, None)
