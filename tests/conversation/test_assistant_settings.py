"""Assistant settings that shape what the model is asked: business_name, max_tokens, temperature."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.conversation.harness import run_call
from voicedock.engines.base import LLMChunk, Message, Tool
from voicedock.engines.fakes import FakeLLM
from voicedock.engines.loader import fake_engines

SPEAK = [("silence", 0.5), ("speak", 1.0), ("silence", 5.0)]


@dataclass
class SamplingLLM(FakeLLM):
    """Also keeps the sampling settings each reply was asked with."""

    temperatures: list[float] = field(default_factory=list)

    def stream(self, messages: Sequence[Message], tools: Sequence[Tool] | None = None, *,
               tool_choice: str | None = None, max_tokens: int = 256,
               temperature: float = 0.0) -> AsyncIterator[LLMChunk]:
        self.temperatures.append(temperature)
        return super().stream(messages, tools, tool_choice=tool_choice, max_tokens=max_tokens,
                              temperature=temperature)


def test_the_model_is_told_which_business_it_answers_for() -> None:
    llm = FakeLLM()
    run_call(SPEAK, assistant={"business_name": "Acme Dental"}, engines=fake_engines(llm=llm), max_seconds=10)
    assert "You answer the phone for Acme Dental." in llm.requests[0]["messages"][0]["content"]


def test_max_tokens_caps_the_spoken_reply_and_temperature_reaches_the_model() -> None:
    llm = SamplingLLM(replies=("Hello there! How can I help you with your booking today?",))
    result = run_call(SPEAK, assistant={"llm_config": {"max_tokens": 3, "temperature": 0.7}},
                      engines=fake_engines(llm=llm), max_seconds=10)
    replies: Any = result.recorder.messages("assistant")
    assert replies[-1] == "Hello there! How", replies
    assert llm.temperatures and set(llm.temperatures) == {0.7}
