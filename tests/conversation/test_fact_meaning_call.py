"""On a call, the profile's sentence encoder finds the instruction line a question means, where the
question shares no word with it; an encoder that fails leaves the look-up to the words."""

from __future__ import annotations

from tests.conversation.harness import run_call
from tests.conversation.test_slot_filling import turns
from voicedock.conversation.facts import HONEST
from voicedock.engines.base import EngineError
from voicedock.engines.fakes import FakeEmbedder, FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

GIFT = "Gift cards are sold at the bar, for $50 or $100."
ASSISTANT = {
    "name": "Osteria",
    "first_message": None,
    "system_prompt": "You are the host of Osteria Lucia.\n- Address: 88 Canal Street.\n- " + GIFT,
}
QUESTION = "Do you sell anything I could give my sister for her birthday?"


def call(facts: FakeEmbedder) -> list[str]:
    llm = FakeLLM(["Yes, we sell birthday hampers."])  # what a small model says when it is asked
    result = run_call(turns(1), assistant=ASSISTANT,
                      engines=fake_engines(llm=llm, stt=FakeSTT([QUESTION]), facts=facts), max_seconds=13.0)
    return result.recorder.messages("assistant")


def test_the_line_the_question_means_is_the_answer() -> None:
    facts = FakeEmbedder(same={GIFT: "gift", QUESTION: "gift"})
    assert call(facts) == ["Gift cards are sold at the bar, for $50 or $100."]
    assert QUESTION in facts.asked and GIFT in facts.asked


def test_a_failing_encoder_leaves_the_words_which_do_not_know() -> None:
    facts = FakeEmbedder(same={GIFT: "gift", QUESTION: "gift"}, error=EngineError("facts_inference", "broken"))
    assert call(facts) == [HONEST]


def test_a_caller_who_asks_whom_they_reached_hears_the_business_name() -> None:
    llm = FakeLLM(["Yes, we are the pizza place!"])  # what a small model says to please
    assistant = {**ASSISTANT, "business_name": "Osteria Lucia"}
    result = run_call(turns(2), assistant=assistant, max_seconds=20.0, engines=fake_engines(
        llm=llm, stt=FakeSTT(["Hi, is this the pizza place on Canal?", "Hi, is this Osteria Lucia?"])))
    assert result.recorder.messages("assistant") == ["This is Osteria Lucia.", "Yes, this is Osteria Lucia."]
