"""End to end: an assistant with `tts_config.speed` 1.5 greets a real SIP caller through Asterisk
faster than one at 1.0, with the real ci Piper voice.

Piper does not shorten speech exactly by the speed: at length scale 1/1.5 this greeting's loud
speech is 0.75-0.83 as long as at 1.0 (ten syntheses each), and the same speed twice differs by up
to 7 % (Piper's duration noise). So the test asks for at least an eighth less speech, which a
greeting at an ignored speed does not reach."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import Engines, read_manifest
from voicedock.engines.local_choice import LocalModels
from voicedock.store import Database
from voicedock_ari.controller import CallController
from voicedock_cli.voice import call_engines

from .audio import read_wav, write_wav
from .callers import dial
from .harness import add_assistant, add_number, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
GREETING = ("Thank you for calling Acme Dental, on Main Street in Springfield. We are open from eight in the "
            "morning until six in the evening. How can I help you today?")
WINDOW = 160  # 20 ms at 8 kHz


def speech_seconds(pcm: np.ndarray) -> float:
    """Seconds of loud 20 ms windows in what the caller heard.

    Counted rather than spanned from first to last: a gap between the greeting's two sentences
    (the second one synthesised late on a busy machine) is not speech and says nothing about rate.
    """
    windows = pcm[: len(pcm) // WINDOW * WINDOW].reshape(-1, WINDOW).astype(np.float64)
    loud = np.flatnonzero(np.sqrt((windows**2).mean(axis=1)) > 300)
    assert len(loud) >= 10, "the caller heard no greeting"
    return float(len(loud)) * WINDOW / 8000


async def heard_greeting(controller: CallController, store: Database, tmp_path: Path, number: str) -> float:
    source = tmp_path / f"caller-{number[-1]}.wav"
    write_wav(source, np.zeros(8000 * 13, np.int16))
    caller = await dial(tmp_path / f"baresip-{number[-1]}", source, uri(controller, number), seconds=12)
    try:
        await asyncio.wait_for(caller.process.wait(), 30)
    finally:
        await caller.stop()
    heard, _ = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    return speech_seconds(heard)


async def test_speed_one_and_a_half_greets_a_real_caller_with_at_least_an_eighth_less_speech(
    controller: CallController, store: Database, tmp_path: Path, ci_models_dir: Path, ci_engines: Engines
) -> None:
    local = LocalModels(read_manifest(ci_models_dir), ci_models_dir, "ci", ci_engines)
    controller.session_factory = voice_session_factory(ci_engines, per_call=call_engines(local, None))
    greeting = {"system_prompt": "You are the front desk of Acme Dental.", "first_message": GREETING,
                "first_message_mode": "assistant-speaks-first"}
    add_number(store, add_assistant(store, "asst_normal", **greeting), "+15550101")
    add_number(store, add_assistant(store, "asst_fast", **greeting, tts_config={"speed": 1.5}), "+15550102")
    normal = await heard_greeting(controller, store, tmp_path, "+15550101")
    await wait_for(lambda: not controller.live_calls(), 10, "the first call to end")
    fast = await heard_greeting(controller, store, tmp_path, "+15550102")
    assert normal > 4.5 and fast <= 0.875 * normal, (normal, fast)
