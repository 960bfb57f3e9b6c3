"""Voicemail detection on real outbound calls through Asterisk: a SIP phone that answers with a
recorded voicemail greeting and its beep gets the voicemail message after the beep, and the call
ends `voicemail`; one that answers like a person ("Hello") gets the assistant's greeting at once.

The greetings are Asterisk's human-recorded prompts (asterisk-core-sounds-en-wav); the assistant is
the tone session, so the message is heard as one 600 Hz tone per word and the beep is 700 Hz."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from tests.commands import command
from voicedock.schemas.calls import CallCreate
from voicedock.store import Database
from voicedock.voicemail.greeting_end import tone_hz
from voicedock.voicemail.screen import ENERGY_FLOOR
from voicedock_ari.controller import CallController
from voicedock_bench.ports import free_port
from voicedock_bench.voicemail_set import PROMPTS, RATE, prompt, trim

from .audio import read_wav, write_wav
from .callers import BaresipCall, listen
from .harness import add_assistant, call, wait_for, webhook_events

pytestmark = [pytest.mark.asterisk,
              pytest.mark.skipif(not (PROMPTS / "vm-intro.wav").exists(),
                                 reason="needs asterisk-core-sounds-en-wav (scripts/install-asterisk --with-test-callers)")]

MESSAGE = "please call the clinic back today"  # six words: six tones
GREETING = "hello there"  # two words
WORD_HZ, BEEP_HZ = 600.0, 700.0
FRAME = 160


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def tone_frames(pcm: np.ndarray, hz: float) -> np.ndarray:
    """Start times (s) of the 20 ms frames that hold a pure tone at `hz`."""
    starts = range(0, len(pcm) - FRAME + 1, FRAME)
    found = [s / RATE for s in starts if abs((tone_hz(pcm[s:s + FRAME], ENERGY_FLOOR) or 0) - hz) <= 25]
    return np.array(found)


async def outbound(controller: CallController, store: Database, tmp_path: Path,
                   answer: np.ndarray) -> tuple[str, BaresipCall, str]:
    """Call a SIP phone that answers with `answer`; the assistant screens for voicemail and records."""
    assistant_id = add_assistant(store, first_message=GREETING, voicemail_detection=True, voicemail_message=MESSAGE,
                                 recording_enabled=True)
    port = free_port("udp")
    source = tmp_path / "answer.wav"
    write_wav(source, answer)
    callee = await listen(tmp_path / "callee", source, port, seconds=25)
    await asyncio.sleep(0.5)
    call_id = await controller.start_outbound(CallCreate.model_validate(
        {"assistant_id": assistant_id, "customer": {"number": f"sip:callee@127.0.0.1:{port}"}}))
    return call_id, callee, str(controller.settings.data_dir / "recordings" / f"{call_id}.wav")


async def test_a_voicemail_greeting_gets_the_message_after_its_beep_and_the_call_ends_voicemail(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    greeting = prompt(("vm-theperson", "digits/2", "digits/0", "digits/1", "vm-isunavail", "vm-intro"))
    beep = trim(read_wav(PROMPTS / "beep.wav")[0])
    call_id, callee, recording = await outbound(
        controller, store, tmp_path, np.concatenate([silence(0.4), greeting, silence(0.3), beep, silence(20.0)]))
    try:
        done = await wait_for(lambda: (c := call(store, call_id))["status"] == "ended" and c, 40, "the call to end")
    finally:
        await callee.stop()
    assert done["ended_reason"] == "voicemail"
    said = [m["content"] for m in done["messages"] if m["role"] == "assistant"]
    assert said == [MESSAGE], "the machine must get the voicemail message, and not the greeting"
    assert {"status-update", "end-of-call-report"} <= set(webhook_events(store, call_id))
    mixed, _ = read_wav(Path(recording))
    beep_at, words_at = tone_frames(mixed, BEEP_HZ), tone_frames(mixed, WORD_HZ)
    assert len(beep_at) >= 10, "the recording holds no beep"
    assert len(words_at) * 0.02 >= 0.8 * 6 * 0.2, "the message was not spoken in full"
    beep_over = beep_at.max() + 0.02
    assert beep_over <= words_at.min() <= beep_over + 1.0, (
        f"the message must start after the beep, not over the greeting: beep over at {beep_over:.2f} s, "
        f"message at {words_at.min():.2f} s")
    heard, _ = read_wav(callee.heard_wav)  # type: ignore[arg-type]
    assert len(tone_frames(heard, WORD_HZ)) * 0.02 >= 0.8 * 6 * 0.2, "the machine did not hear the message"


async def test_a_person_who_says_hello_gets_the_assistants_greeting_within_a_second_and_a_half(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    hello = trim(read_wav(PROMPTS / "hello.wav")[0])  # a human-recorded "Hello"
    call_id, callee, recording = await outbound(controller, store, tmp_path,
                                                np.concatenate([silence(0.5), hello, silence(20.0)]))
    try:
        await wait_for(lambda: any(m["role"] == "assistant" for m in call(store, call_id)["messages"]), 10,
                       "the assistant's greeting")
        await asyncio.sleep(1.0)
        assert call(store, call_id)["status"] == "in-progress", "a person's call must go on"
        await controller.control(call_id, command({"type": "end-call"}))
        done = await wait_for(lambda: (c := call(store, call_id))["status"] == "ended" and c, 10, "ended")
    finally:
        await callee.stop()
    assert done["ended_reason"] == "assistant-ended-call"
    assert [m["content"] for m in done["messages"] if m["role"] == "assistant"][:1] == [GREETING]
    mixed, _ = read_wav(Path(recording))
    words_at = tone_frames(mixed, WORD_HZ)
    assert len(words_at), "the person never heard the assistant"
    first_word = words_at.min()
    loud = [s / RATE for s in range(0, int(first_word * RATE) - FRAME, FRAME)
            if np.sqrt(np.mean(mixed[s:s + FRAME].astype(np.float64) ** 2)) >= ENERGY_FLOOR]
    assert loud, "the recording holds no 'Hello' before the greeting"
    waited = first_word - (max(loud) + 0.02)
    assert 0 < waited <= 1.5, f"the person waited {waited:.2f} s after their 'Hello' for the assistant"
