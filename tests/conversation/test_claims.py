"""A reply never states a number nobody gave: such a sentence is not spoken."""

from __future__ import annotations

from tests.conversation.harness import run_call
from voicedock.conversation.claims import known_numbers, unsupported
from voicedock.conversation.facts import HONEST
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

PROMPT = "You are the assistant of SwiftDrop Parcels.\n- Phone line hours: Monday to Friday 8:00 to 20:00."


def test_numbers_the_call_holds_may_be_said_in_their_usual_forms() -> None:
    known = known_numbers([PROMPT, "my number is five five five, oh one three four", "Booked: ref MG-3240"])
    assert not unsupported("We're open until 8 pm, and 20:00 on weekdays.", known)
    assert not unsupported("I have 5550134 and your reference MG-3240.", known)
    assert unsupported("Your tracking number is SD12345.", known) == {"12345"}
    assert unsupported("That costs $40.", known) == {"40"}


def _reply_heard(reply: str, said: str) -> list[str]:
    assistant = {"system_prompt": PROMPT, "first_message": None}
    llm = FakeLLM([reply])
    result = run_call([("silence", 1.0), ("speak", 1.0), ("silence", 6.0)], assistant=assistant,
                      engines=fake_engines(llm=llm, stt=FakeSTT([said])), max_seconds=12)
    return result.recorder.messages("assistant")


def test_a_made_up_tracking_number_is_never_spoken() -> None:
    heard = _reply_heard("Sure, Gwen Harper's tracking number is SD12345.",
                         "I don't have the number. Look it up by my name please, it's Gwen Harper.")
    assert heard == [f"Sure, {HONEST}"]  # the clause already on its way, then no number


def test_a_sentence_with_a_given_number_is_spoken_and_only_the_made_up_one_is_dropped() -> None:
    heard = _reply_heard("We are open until 20:00 on weekdays. A parcel costs $45 to send.",
                         "Tell me your hours and what sending a parcel costs.")
    assert heard == [f"We are open until 20:00 on weekdays. {HONEST}"]
