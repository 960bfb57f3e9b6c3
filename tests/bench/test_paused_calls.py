"""The false cut-offs the turn benchmark counts at the caller: a reply heard between the caller's
first and last word is a cut-off; one heard after the last word, or a half-made reply the caller
never heard, is not."""

from __future__ import annotations

import asyncio

import numpy as np

from voicedock_bench.pause_set import RATE, Item
from voicedock_bench.paused_calls import PausedCall, Said, say_paused, summarize
from voicedock_bench.sip_caller import Played


class FakeLine:
    """What `say_paused` uses of a `SipCall`: the caller's utterance takes 0-3 s on the caller's
    clock, and `heard` is the assistant's audio at the caller (one tuple per 20 ms frame)."""

    def __init__(self, loud_from: float, loud_to: float) -> None:
        self.heard = [(i * 0.02, 2000.0 if loud_from <= i * 0.02 < loud_to else 0.0) for i in range(500)]
        self.far_end_hung_up = asyncio.Event()
        self.played: list[np.ndarray] = []

    def play(self, pcm: np.ndarray) -> asyncio.Future[Played]:
        self.played.append(pcm)
        done: asyncio.Future[Played] = asyncio.get_running_loop().create_future()
        done.set_result(Played(started=0.0, ended=3.1, voice_started=0.5, voice_ended=3.0))
        return done


def item() -> Item:
    pcm = np.zeros(int(6.5 * RATE), dtype=np.int16)
    return Item("piper-joe/1/paused", "test", "piper-joe", "paused", "My phone number is… five five five.", pcm,
                speech_end=3.5, pause_start=1.4, pause_end=2.1)


async def test_a_reply_heard_inside_the_callers_pause_is_a_cut_off() -> None:
    line = FakeLine(loud_from=1.8, loud_to=2.6)
    said = await say_paused(line, item(), reply_timeout=1.0)  # type: ignore[arg-type]
    assert said.jumped_in_at_ms == 1300.0  # 1.8 s, 1.3 s after the first word at 0.5 s
    assert said.pause_ms == 700
    assert len(line.played[0]) == int(3.7 * RATE)  # the lead, the words and 0.2 s: not the 3 s tail


async def test_a_reply_after_the_last_word_is_an_answer_and_its_latency_is_measured() -> None:
    said = await say_paused(FakeLine(loud_from=3.6, loud_to=5.0), item(), reply_timeout=1.0)  # type: ignore[arg-type]
    assert said.jumped_in_at_ms is None
    assert said.reply_ms == 600.0


async def test_no_reply_at_all_is_unanswered_not_a_cut_off() -> None:
    said = await say_paused(FakeLine(loud_from=99, loud_to=99), item(), reply_timeout=0.1)  # type: ignore[arg-type]
    assert said.jumped_in_at_ms is None and said.reply_ms is None


def test_the_summary_counts_cut_offs_per_utterance_and_silent_give_ups_from_the_record() -> None:
    cut = Said("a", "A… b.", 700, 1300.0, 400.0)
    fine = Said("b", "C… d.", 500, None, 600.0)
    quiet = PausedCall("piper-joe", 0, [cut, fine, fine, fine],
                       record={"latency": [{"abandoned": "barge-in"}, {"abandoned": "hangup"}, {}],
                               "messages": [{"role": "user", "content": "A b."}, {"role": "assistant", "content": "Hi."},
                                            *[{"role": "user", "content": "C d."}] * 3]})
    other = PausedCall("espeak-en-us", 1, [fine, Said("c", "E… f.", 300, None, None)])
    out = summarize([quiet, other], "test")
    assert (out["n"], out["jumped_in"], out["jumped_in_rate"]) == (6, 1, 0.167)
    assert out["ended_in_pause"] == 1  # the hang-up is no turn given up in a pause
    assert out["unanswered"] == 1
    assert out["by_voice"]["piper-joe"] == {"n": 4, "jumped_in": 1, "ended_in_pause": 1, "caller_turns_stored": 4,
                                             "unanswered": 0, "error": None}
    assert out["by_voice"]["espeak-en-us"]["caller_turns_stored"] is None  # no record to count in
    assert out["jumped_in_list"] == [{"name": "a", "text": "A… b.", "pause_ms": 700, "at_ms": 1300.0}]
