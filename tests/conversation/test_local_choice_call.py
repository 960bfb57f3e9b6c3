"""A call's session speaks at its own assistant's rate, also when its speech provider fails and the
local voice takes over; calls of other assistants keep the shared voice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voicedock.assistant import CallAssistant
from voicedock.conversation.base import CallInfo
from voicedock.conversation.voice import VoiceSession, voice_session_factory
from voicedock.engines.credentials import static_keys
from voicedock.engines.loader import Engines, read_manifest
from voicedock.engines.local_choice import LocalModels
from voicedock_cli.voice import call_engines

from .harness import FakeAudioPort, Recorder

GREETING = "Thank you for calling Acme Dental. How can I help you today?"


async def greeting_seconds(shared: Engines, local: LocalModels, assistant: dict[str, Any]) -> float:
    factory = voice_session_factory(shared, per_call=call_engines(local, static_keys({})))
    info = CallInfo(call_id="call_rate", direction="inbound",
                    assistant=CallAssistant.parse({"system_prompt": "x", **assistant}))
    recorder = Recorder()
    session = factory(info, FakeAudioPort([]), recorder, recorder)
    assert isinstance(session, VoiceSession)
    renditions = [sum([chunk.seconds async for chunk in session.engines.tts.synthesize(GREETING)]) for _ in range(3)]
    return sum(renditions) / len(renditions)  # Piper draws each sound's length at random


async def test_a_calls_greeting_is_spoken_at_its_assistants_speed(ci_models_dir: Path, ci_engines: Engines) -> None:
    local = LocalModels(read_manifest(ci_models_dir), ci_models_dir, "ci", ci_engines)
    normal = await greeting_seconds(ci_engines, local, {})
    fast = await greeting_seconds(ci_engines, local, {"tts_config": {"speed": 1.5}})
    unreachable = {"provider": "elevenlabs", "url": "http://127.0.0.1:9", "speed": 1.5}
    fallback = await greeting_seconds(ci_engines, local, {"tts_config": unreachable})
    assert normal > 2.0 and fast <= 0.8 * normal and fallback <= 0.8 * normal, (normal, fast, fallback)
