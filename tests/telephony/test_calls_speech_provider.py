"""End to end: an assistant whose `tts_config.provider` is `wyoming` greets a real SIP caller through
Asterisk with speech from a wyoming-piper server on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voicedock.conversation.base import CallInfo
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.credentials import static_keys
from voicedock.engines.fakes import FakeTTS
from voicedock.engines.loader import Engines
from voicedock.engines.speech_providers import speech_engines_for
from voicedock.store import Database
from voicedock_ari.controller import CallController

from ..engines.speech_servers import piper_args, wyoming_server
from .audio import read_wav, rms, write_wav
from .callers import dial
from .harness import add_assistant, add_number, only_call, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
GREETING = "Thank you for calling Acme Dental. How can I help you today?"


@pytest.fixture
def wyoming_piper(ci_models_dir: Path, tmp_path: Path) -> Iterator[str]:
    with wyoming_server("wyoming_piper", piper_args(ci_models_dir, tmp_path), tmp_path / "piper.log") as url:
        yield url


async def test_the_caller_hears_the_greeting_spoken_by_the_wyoming_server(
    controller: CallController, store: Database, tmp_path: Path, ci_engines: Engines, wyoming_piper: str
) -> None:
    # The local voice is a tone here, so words in what the caller heard can only come from the server.
    local_tone = FakeTTS()
    shared = dataclasses.replace(ci_engines, tts=local_tone)

    def per_call(info: CallInfo, engines: Engines) -> Engines:
        return speech_engines_for(info.assistant, static_keys({}), engines, info.call_id)

    controller.session_factory = voice_session_factory(shared, per_call=per_call)
    add_number(store, add_assistant(
        store, system_prompt="You are the front desk of Acme Dental.", first_message=GREETING,
        first_message_mode="assistant-speaks-first", tts_config={"provider": "wyoming", "url": wyoming_piper}))
    source = tmp_path / "caller.wav"
    write_wav(source, np.zeros(8000 * 10, np.int16))
    caller = await dial(tmp_path / "baresip", source, uri(controller), seconds=9)
    try:
        await wait_for(only_call(store), 10, "the call record")
        await asyncio.wait_for(caller.process.wait(), 30)
    finally:
        await caller.stop()

    heard, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    windows = heard[: len(heard) // 1600 * 1600].reshape(-1, 1600).astype(np.float64)
    assert (np.sqrt((windows**2).mean(axis=1)) > 300).sum() >= 10, f"the caller heard no speech (rms {rms(heard):.0f})"
    words = (await ci_engines.stt.transcribe(heard, rate)).text.lower()
    # the local voice is a tone, so any of these words came from the wyoming server ("Acme" is often heard "at me")
    assert "dental" in words and "help you today" in words, words
    assert local_tone.spoken == [], "the local voice spoke: the Wyoming server was not used"
