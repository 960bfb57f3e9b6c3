"""A call's history is warmed between turns, so the reply that needs the model evaluates only the
caller's new words: after turns answered without it, after a barge-in, and never once the window
of messages slides. The reply itself is begun with the caller's words before their turn has
surely ended (prepared.py), and is then exactly the request the turn makes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.conversation.harness import run_call
from tests.conversation.test_slot_filling import turns
from voicedock.conversation.history import HISTORY_MESSAGES
from voicedock.engines.base import LLMChunk, Message, Tool
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines
from voicedock_cli.demo import DEMO_ASSISTANT


@dataclass
class WarmingLLM(FakeLLM):
    """A model with a background prompt cache: what was warmed, and when, next to what was asked."""

    log: list[tuple[str, list[Message]]] = field(default_factory=list)
    asked_at: list[float] = field(default_factory=list)  # (virtual) time of each reply request

    async def warm(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None) -> bool:
        self.log.append(("warm", list(messages)))
        return True

    async def stream(self, messages: Sequence[Message], *args: Any, **kwargs: Any) -> AsyncIterator[LLMChunk]:
        self.log.append(("reply", list(messages)))
        self.asked_at.append(asyncio.get_running_loop().time())
        async for chunk in super().stream(messages, *args, **kwargs):
            yield chunk


def _thinking_at(result: Any) -> list[float]:
    return [t for t, state in result.session.trace if state == "thinking"]


def test_turns_answered_without_the_model_are_in_its_cache_before_the_turn_that_needs_it() -> None:
    """Two answers from the facts, then a turn for the model: after each answer the history is
    warmed, and while the end of the last turn is decided its reply is begun, on exactly the
    request the turn makes. Words the facts answer are not begun ahead: they never reach the model."""
    said = ["What do you sell?", "Where can I find your shop?", "Sorry, actually I just need a loaf of bread."]
    llm = WarmingLLM(["Of course, we have fresh bread every morning."])
    result = run_call(turns(len(said)), assistant=DEMO_ASSISTANT, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      max_seconds=8.0 * len(said) + 5)
    assert result.recorder.messages("assistant")[-1] == "Of course, we have fresh bread every morning."
    replies = [i for i, (kind, _) in enumerate(llm.log) if kind == "reply"]
    assert len(replies) == 1
    asked = llm.log[replies[0]][1]
    warms = [messages for kind, messages in llm.log[: replies[0]] if kind == "warm"]
    assert warms[-1] == asked[:-1] and warms[-1][-1] == {"role": "assistant", "content": "12 Harbour Street."}
    assert asked[-1] == {"role": "user", "content": said[2]}
    assert llm.asked_at[0] < _thinking_at(result)[-1]  # begun before the turn had ended
    assert not any(w[-1]["role"] == "user" for w in warms)  # the facts' questions were never sent ahead


def _interrupt_welcome(speak_seconds: float) -> tuple[WarmingLLM, str, int]:
    """A caller says "Wait, I need Tuesday." over the welcome for `speak_seconds`: the model, the
    part of the welcome they heard (checked to be a cut-short start of it), the reply's log index."""
    welcome = "Welcome to the bakery. We bake bread every morning from six. How can I help you today?"
    llm = WarmingLLM(["Sure, Tuesday it is."])
    script = [("silence", 1.5), ("speak", speak_seconds), ("silence", 5.0), ("hangup",)]
    result = run_call(script, assistant={"first_message": welcome},
                      engines=fake_engines(stt=FakeSTT(["Wait, I need Tuesday."]), llm=llm))
    heard = result.recorder.messages("assistant")[0]
    assert heard != welcome and welcome.startswith(heard.rstrip("."))
    (reply,) = [i for i, (kind, _) in enumerate(llm.log) if kind == "reply"]
    return llm, heard, reply


def test_what_was_heard_of_an_interrupted_reply_is_warmed_before_the_interruption_is_answered() -> None:
    """The caller cuts the welcome short: the history with the heard part is warmed while they
    talk, and the reply to their words is begun on it at their pause."""
    llm, heard, reply = _interrupt_welcome(speak_seconds=3.0)
    warms = [messages for kind, messages in llm.log[:reply] if kind == "warm"]
    asked = llm.log[reply][1]
    assert asked[-2:] == [{"role": "assistant", "content": heard}, {"role": "user", "content": "Wait, I need Tuesday."}]
    assert warms[-1] == asked[:-1]  # the heard part alone, as soon as the caller was found to interrupt


def test_words_that_interrupt_a_paused_reply_are_warmed_before_the_turn_ends() -> None:
    """A short "Wait, I need Tuesday." over the welcome pauses it; the words, judged at the caller's
    pause to interrupt, begin the reply with the heard part of the welcome before it while the end
    of the turn is still awaited; the turn takes that reply."""
    llm, heard, reply = _interrupt_welcome(speak_seconds=0.6)
    asked = llm.log[reply][1]
    assert asked[-2:] == [{"role": "assistant", "content": heard}, {"role": "user", "content": "Wait, I need Tuesday."}]
    assert not any(kind == "warm" and m[-1]["role"] == "user" for kind, m in llm.log)  # begun, not warmed
    assert llm.closed_early == 0


def test_a_long_call_is_still_warmed_and_each_reply_begins_as_the_history_warmed_before_it() -> None:
    """Past `HISTORY_MESSAGES` the window's start moves in steps, not by one message a turn: every
    reply to the caller's 16 questions begins with the history warmed after the answer before it
    (its start included), so the model evaluates only the caller's new words."""
    said = [f"Sorry, actually I just need {i} loaves of bread." for i in range(16)]
    llm = WarmingLLM(["We bake bread."] * len(said))
    result = run_call(turns(len(said)), assistant=DEMO_ASSISTANT, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      max_seconds=8.0 * len(said) + 5)
    assert len(result.recorder.messages("user")) == len(said)
    replies = [i for i, (kind, _) in enumerate(llm.log) if kind == "reply"]
    assert len(replies) == len(said)
    for at in replies[1:]:
        asked = llm.log[at][1]
        warmed = [m for kind, m in llm.log[:at] if kind == "warm"][-1]
        assert asked[: len(warmed)] == warmed, f"reply {at} does not begin as the last warm: {len(warmed)} messages"
        assert len(asked) - len(warmed) <= 2  # the caller's words (and at most the warm's own last message)
        assert len(asked) - 1 <= HISTORY_MESSAGES
    starts = [llm.log[at][1][1]["content"] for at in replies]  # the first message after the system prompt
    assert len(set(starts)) <= 3  # the window's start moved at most twice in 16 turns, not at every turn
    assert starts[-1] != starts[0]  # but it did move: the oldest turns left the window
