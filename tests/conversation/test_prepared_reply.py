"""A reply that needs the model is begun at the caller's pause, while the end of their turn is
still being decided, and spoken as soon as the turn ends; it is dropped when the caller goes on,
and never begun where the model would bill it or tools decide the turn first (virtual time)."""

from __future__ import annotations

from typing import Any

from tests.conversation.harness import CallResult, run_call
from tests.conversation.test_history_warm import WarmingLLM
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTurn
from voicedock.engines.loader import fake_engines

NO_GREETING = {"first_message": None, "start_speaking_plan": {"wait_seconds": 0.0}}
SAID = "Sorry, actually I just need a loaf of bread."
REPLY = "Of course, we bake fresh bread every morning."
TOKEN = 0.05  # seconds per token: "Of course," is two, so a reply begun at the end of the turn starts 0.1 s later


def _longest_wait_call(llm: FakeLLM, script: list[tuple[Any, ...]] | None = None, stt: FakeSTT | None = None,
                       **assistant: Any) -> CallResult:
    """The voice model never calls the turn finished, so it ends at the longest wait (1.0 s)."""
    engines = fake_engines(llm=llm, stt=stt or FakeSTT([SAID]), turn=FakeTurn([0.02], max_wait_seconds=1.0))
    script = script or [("silence", 1.0), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    return run_call(script, assistant={**NO_GREETING, **assistant}, engines=engines)


def _answered(result: CallResult) -> tuple[float, float]:
    """When the caller's turn ended (the session began thinking) and the reply's first audio."""
    ended = [t for t, state in result.session.trace if state == "thinking"][-1]
    return ended, result.audio.segments[0][0]


def test_a_reply_begun_at_the_pause_is_heard_as_soon_as_the_turn_ends() -> None:
    llm = WarmingLLM([REPLY], token_delay=TOKEN)
    result = _longest_wait_call(llm)
    ended, first_audio = _answered(result)
    assert abs(ended - (2.0 + 1.0)) <= 0.05  # the longest wait after the last voiced frame
    assert first_audio - ended < 0.03  # its first clause was written meanwhile
    assert llm.asked_at[0] < 2.0 + 0.5  # asked once the words were there, early in the pause
    assert len(llm.requests) == 1 and llm.closed_early == 0
    assert result.recorder.messages("assistant") == [REPLY]


def test_without_it_the_reply_waits_for_its_first_clause() -> None:
    """The same call with a model that is not local (not `Warmable`): nothing is written ahead."""
    llm = FakeLLM([REPLY], token_delay=TOKEN)
    ended, first_audio = _answered(_longest_wait_call(llm))
    assert first_audio - ended >= 2 * TOKEN - 1e-6


def test_a_caller_who_goes_on_gets_the_reply_to_all_of_it() -> None:
    """Begun on "I need a loaf of", dropped when the caller goes on, and the turn's reply is written
    for the whole sentence; the half's reply is never heard."""
    half = "A loaf of what, exactly? We have many kinds of bread, rolls, pastries and cakes to choose from."
    llm = WarmingLLM([half, "Sure, a loaf and two rolls."], token_delay=TOKEN)
    stt = FakeSTT(["I need a loaf of", "I need a loaf of bread and two rolls."])
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 0.6), ("speak", 1.0), ("silence", 6.0), ("hangup",)]
    result = _longest_wait_call(llm, script, stt)
    assert llm.closed_early == 1  # the half's reply stopped when the caller went on
    assert [r["messages"][-1]["content"] for r in llm.requests] == ["I need a loaf of",
                                                                    "I need a loaf of bread and two rolls."]
    assert result.recorder.messages("user") == ["I need a loaf of bread and two rolls."]
    assert result.recorder.messages("assistant") == ["Sure, a loaf and two rolls."]


def test_an_assistant_with_tools_begins_no_reply_before_its_tool_step() -> None:
    """Its tool step decides the turn first and may need the model itself: only warmed ahead."""
    tool = {"type": "function", "name": "check_stock", "description": "Check what is in stock.",
            "parameters": {"type": "object", "properties": {}}}
    llm = WarmingLLM([REPLY], token_delay=TOKEN)
    result = _longest_wait_call(llm, llm_config={"tools": [tool]})
    ended, _ = _answered(result)
    assert llm.asked_at and min(llm.asked_at) >= ended
    assert any(kind == "warm" and m[-1] == {"role": "user", "content": SAID} for kind, m in llm.log)
