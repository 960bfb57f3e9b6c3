"""A turn the caller gives up on still has its latency on record: a hang-up while the assistant
thinks, speaking again before its first audio, a hang-up while its reply is paused after the first
words. Otherwise the slowest turns are exactly the ones that vanish from the figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from tests.conversation.harness import run_call
from voicedock.engines.base import LLMChunk, Message, Tool
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

NO_GREETING = {"first_message": None}


class PausingLLM(FakeLLM):
    """Writes a first clause at once, then stalls `pause` seconds (a second call on the same cores)."""

    def __init__(self, pause: float) -> None:
        super().__init__()
        self.pause = pause

    async def stream(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None, *,
                     tool_choice: str | None = None, max_tokens: int = 256,
                     temperature: float = 0.0) -> AsyncIterator[LLMChunk]:
        yield LLMChunk(text="Yes, ")
        await asyncio.sleep(self.pause)
        yield LLMChunk(text="we are open on Saturdays.")
        yield LLMChunk(finish_reason="stop")


def latency(script: list[tuple[Any, ...]], **engines: Any) -> list[dict[str, Any]]:
    result = run_call(script, assistant=NO_GREETING, engines=fake_engines(**engines))
    return [dict(turn) for turn in result.recorder.of("latency")]


def test_a_caller_who_hangs_up_while_the_assistant_thinks_leaves_a_latency_entry() -> None:
    # the caller stops at 1.5 s and hangs up at 4.5 s; the reply's first word would come at 6 s
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 3.0), ("hangup",)]
    turns = latency(script, llm=FakeLLM(["We are open until five."], token_delay=4.0))
    assert len(turns) == 1, turns
    turn = turns[0]
    assert turn["abandoned"] == "hangup"
    assert abs(turn["total_ms"] - 3000) <= 60, "the caller waited 3 s from their last word to the hang-up"
    assert turn["waited_ms"] == turn["total_ms"], "no assistant audio at all: the whole time was waiting"
    assert turn["llm_ttft_ms"] > 2000, "the model was still thinking: its stage runs to the hang-up"
    assert turn["tts_ttfb_ms"] == 0.0, "synthesis never began"


def test_speaking_again_before_the_first_audio_leaves_a_latency_entry_and_the_next_turn_its_own() -> None:
    # the caller stops at 1.5 s, gets nothing, speaks again at 3.0 s; that turn is answered
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 1.5), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    turns = latency(script, llm=FakeLLM(["Sure."], token_delay=2.0))
    assert [t.get("abandoned") for t in turns] == ["barge-in", None], turns
    assert 1500 <= turns[0]["waited_ms"] <= 1800, "about 1.5 s of silence before the caller spoke again"
    assert "waited_ms" not in turns[1], "an answered turn keeps the documented fields only"


def test_a_hang_up_while_the_reply_is_paused_after_its_first_words_is_on_record() -> None:
    # "Yes," is heard at about 2 s, then the model stalls; the caller hangs up at 5 s
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 3.5), ("hangup",)]
    turns = latency(script, llm=PausingLLM(pause=6.0))
    assert len(turns) == 1, turns
    turn = turns[0]
    assert turn["abandoned"] == "hangup"
    assert turn["total_ms"] < 1000, "the first words came quickly"
    assert turn["waited_ms"] >= 2000, "then the caller heard nothing for seconds before hanging up"


def test_a_turn_answered_in_full_has_no_abandoned_entry() -> None:
    script = [("silence", 0.5), ("speak", 1.0), ("silence", 4.0), ("hangup",)]
    turns = latency(script, stt=FakeSTT(["Are you open on Saturday?"]))
    assert len(turns) == 1 and "abandoned" not in turns[0]
