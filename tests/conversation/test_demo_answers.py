"""The demo assistant, the first one a new user calls, answers its own questions from its facts:
what it sells, where it is, when it is open; and admits what its facts do not say."""

from __future__ import annotations

from tests.conversation.harness import run_call
from tests.conversation.test_slot_filling import turns
from voicedock.conversation.facts import HONEST
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines
from voicedock_cli.demo import DEMO_ASSISTANT


def test_the_demo_answers_from_its_facts_and_never_guesses() -> None:
    said = ["What do you sell?", "Where can I find your shop?", "Are you open on Sunday?", "Do you have parking?"]
    llm = FakeLLM(["Yes, we have plenty of parking."])  # what a small model says when it is asked
    result = run_call(turns(len(said)), assistant={**DEMO_ASSISTANT, "first_message": None},
                      engines=fake_engines(llm=llm, stt=FakeSTT(said)), max_seconds=8.0 * len(said) + 5)
    assert result.recorder.messages("assistant") == [
        "Bread, pastries and cakes; cakes are made to order.",
        "12 Harbour Street.",
        "No, we're closed on Sunday.",
        HONEST,
    ]

