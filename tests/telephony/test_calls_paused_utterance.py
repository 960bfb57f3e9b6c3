"""End to end through Asterisk: a caller who stops for 0.7 s in the middle of a sentence is not cut
off. The call's transcript holds the sentence as one caller turn, its latency entries hold no turn
given up because the caller went on, and the caller hears nothing from the assistant between their
first and last word, only one answer after it.

The caller is the measuring SIP phone (`voicedock_bench.sip_caller`): it streams its audio as RTP
every 20 ms, silence included, and timestamps every frame it sends and hears on one clock, so the
assistant's audio is placed on the caller's own timeline."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import numpy as np
import pytest

from voicedock.audio import resample
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import Engines
from voicedock.store import Database
from voicedock_ari.controller import CallController
from voicedock_bench.pause_set import RATE, on_the_line, paused, trim
from voicedock_bench.sip_caller import SipCall

from .harness import add_assistant, add_number, call, only_call, uri, wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.models]
SENTENCE = "I'd like to book, a cleaning for Tuesday."  # the comma gives the voice its on-going pitch
BEFORE_PAUSE = ("like", "book")  # any of them: tiny.en mishears a word now and then
AFTER_PAUSE = ("clean", "tuesday")
PAUSE_SECONDS = 0.7  # longer than the default 0.4 s wait, shorter than the profile's longest wait
LOUD = 300.0  # rms of a 20 ms frame the caller hears as the assistant's voice (Asterisk's silence is 0)
ANSWER_WITHIN = 300.0  # seconds after the caller's last word; the ci models are slow on a loaded machine


async def caller_line(engines: Engines) -> np.ndarray:
    """The sentence in Piper's voice with its comma stretched to a 0.7 s pause, as a phone line
    carries it (faint hiss, µ-law), with a little silence before and after."""
    chunks = [c async for c in engines.tts.synthesize(SENTENCE)]
    speech = trim(resample(np.concatenate([c.pcm16 for c in chunks]), chunks[0].rate, RATE).astype(np.int16))
    made = paused(speech, PAUSE_SECONDS)
    assert made is not None, "no pause found at the comma"
    return on_the_line(made[0], seed=7)


def loud_times(phone: SipCall, start: float, end: float = float("inf")) -> list[float]:
    """When the caller heard the assistant's voice between `start` and `end` (caller's clock)."""
    return [t for t, level in phone.heard if start <= t <= end and level > LOUD]


async def heard_after(phone: SipCall, after: float, within: float) -> float | None:
    """The first time the caller hears the assistant's voice after `after`, waiting up to `within`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline and not phone.far_end_hung_up.is_set():
        if found := loud_times(phone, after):
            return found[0]
        await asyncio.sleep(0.05)
    return None


def replies(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in record["messages"] if m["role"] == "assistant" and m["content"].strip()]


async def test_a_caller_who_pauses_mid_sentence_is_answered_once_after_the_whole_sentence(
    controller: CallController, store: Database, ci_engines: Engines
) -> None:
    assert ci_engines.turn is not None, "the ci profile ends turns with its end-of-turn model"
    controller.session_factory = voice_session_factory(ci_engines)
    add_number(store, add_assistant(
        store, system_prompt="You are the front desk of Acme Dental. Answer in one short sentence.",
        first_message_mode="assistant-waits-for-user", max_duration_seconds=600,
        llm_config={"max_tokens": 12}))  # any short answer will do: what it says is not checked
    line = await caller_line(ci_engines)

    phone = SipCall(user="caller")
    try:
        await phone.dial(uri(controller))
        row = await wait_for(only_call(store), 10, "the call record")
        played = await phone.play(line)
        first_word, last_word = played.voice_started, played.voice_ended
        assert first_word is not None and last_word is not None, "the caller's audio carried no voice"
        answer = await heard_after(phone, last_word, ANSWER_WITHIN)
        if answer is not None:  # the reply is stored once all of it has been sent
            with contextlib.suppress(AssertionError):
                await wait_for(lambda: replies(call(store, row["id"])), 120, "the answer in the transcript")
    finally:
        await phone.hangup()
    done = await wait_for(lambda: (c := call(store, row["id"]))["status"] == "ended" and c, 60, "the call's end")

    users = [m["content"].lower() for m in done["messages"] if m["role"] == "user"]
    assert len(users) == 1, f"the caller's sentence was split into turns: {users}"
    assert any(w in users[0] for w in BEFORE_PAUSE), f"the words before the pause are missing: {users}"
    assert any(w in users[0] for w in AFTER_PAUSE), f"the words after the pause are missing: {users}"

    # A turn ended in the pause is not always heard: when the caller goes on before the reply's
    # first audio, the half-made reply is dropped and the sentence joined; the record keeps the
    # given-up turn's entry.
    given_up = [t for t in done["latency"] if t.get("abandoned") == "barge-in"]
    assert not given_up, f"the assistant took the caller's pause for the end of the turn: {done['latency']}"
    cut_in = [round(t - first_word, 2) for t in loud_times(phone, first_word, last_word)]
    assert not cut_in, (f"the assistant spoke at {cut_in[:5]} s into the caller's sentence, "
                        f"which ends at {last_word - first_word:.2f} s")
    assert answer is not None, f"the caller heard no answer within {ANSWER_WITHIN:.0f} s: {done['messages']}"
    assert len(replies(done)) == 1, f"the sentence was not answered once: {done['messages']}"
