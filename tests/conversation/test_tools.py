"""Tool calls in a conversation: decided as constrained JSON, dates resolved in code, arguments
validated before anything runs, and a spoken answer whatever the tool does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conversation.harness import FIXED_NOW, run_call
from voicedock.conversation.decide import decide, system_prompt
from voicedock.conversation.tool_runner import ToolError
from voicedock.conversation.tool_turn import FILLER, GOODBYE, TOOL_ERROR_APOLOGY, TOOL_TIMEOUT_APOLOGY
from voicedock.conversation.tools import arguments_schema, intent_schema, normalise_tools, validation_errors
from voicedock.conversation.turns import parrots, spoken_result
from voicedock.engines.base import EngineError
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

BOOKING = json.loads((Path(__file__).parent / "data" / "booking_eval.json").read_text())["assistant"]
ONE_TURN = [("silence", 1.0), ("speak", 1.0), ("silence", 15.0)]


class ScriptedRunner:
    """Answers per tool name: a value, an exception to raise, or "hang" to never answer."""

    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = behaviour
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, info: Any, tool: Any, call_id: str, arguments: Any, sources: Any = None) -> Any:
        name = tool["name"]
        self.calls.append((name, dict(arguments)))
        outcome = self.behaviour.get(name)
        if outcome == "hang":
            await asyncio.sleep(3600)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


LABELS = {"end_call": "say goodbye", "transfer_call": "talk to a person"}


def _call(decision: dict[str, Any], caller: str, runner: ScriptedRunner, reply: str = "Done.", **kw: Any):
    """`decision` is what the model would choose: the session asks for the intent, then the arguments."""
    name = decision["tool"]
    answers = [{"intent": LABELS.get(name, name.replace("_", " "))}]
    if decision.get("arguments"):
        answers.append(decision["arguments"])
    llm = FakeLLM([reply], json_replies=answers)
    engines = fake_engines(llm=llm, stt=FakeSTT([caller]))
    result = run_call(
        ONE_TURN,
        assistant={**BOOKING, "first_message": None, **kw},
        engines=engines,
        tool_runner=runner,
        max_seconds=20,
    )
    return result, llm


def test_a_tool_result_is_said_in_code_and_stays_in_the_models_context() -> None:
    runner = ScriptedRunner(check_availability={"available": True, "slots": ["09:00", "14:00"]})
    result, llm = _call(
        {"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
        "Anything tomorrow?",
        runner,
        "I have nine and two o'clock, and also 4:30.",
    )
    assert runner.calls == [("check_availability", {"date": "2025-06-04"})]
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "ok" and record["result"] == {"available": True, "slots": ["09:00", "14:00"]}
    assert record["sources"] == {"date": {"from": "resolver", "turn": 1, "said": "Anything tomorrow?"}}
    # the result's own values, at once; the model's "4:30" is never heard
    assert result.recorder.messages("assistant") == ["On Wednesday, June 4th we have 9 AM and 2 PM free."]
    assert not [r for r in llm.requests if "schema" not in r]  # no reply was asked of the model


# A result code cannot say (nested data) is answered by the model, through the reply's checks.
NESTED = {"free": [{"time": "09:00"}, {"time": "14:00"}]}
NESTED_WORDS = "Here is what I found: free: time: 09:00 and time: 14:00."


def test_a_result_code_cannot_say_goes_back_to_the_llm_and_its_answer_is_spoken() -> None:
    runner = ScriptedRunner(check_availability=NESTED)
    result, llm = _call({"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
                        "Anything tomorrow?", runner, "I have nine and two o'clock.")
    notes = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "system"]
    assert "09:00" in notes[-1] and "Answer the caller" in notes[-1]
    assert result.recorder.messages("assistant") == ["I have nine and two o'clock."]


def test_a_reply_that_only_says_the_callers_words_back_speaks_the_tool_result_instead() -> None:
    runner = ScriptedRunner(check_availability=NESTED)
    result, _ = _call(
        {"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
        "Good morning! Do you have anything free tomorrow?",
        runner,
        "Good morning! Do you have anything free tomorrow?",
    )
    assert result.recorder.messages("assistant") == ["Good morning! " + NESTED_WORDS]


def test_a_refusal_written_after_the_tool_did_what_was_asked_is_not_spoken() -> None:
    """The tool answered; "I can't assist with that" would tell the caller the opposite of what
    happened. Its result is said in plain words instead."""
    runner = ScriptedRunner(check_availability=NESTED)
    result, _ = _call({"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
                      "Anything tomorrow?", runner, "I'm sorry, but I can't assist with that.")
    assert result.recorder.messages("assistant") == [NESTED_WORDS]


def test_the_tools_note_written_back_in_its_own_form_is_not_spoken() -> None:
    """A small model given "(book_appointment ... returned booked=true, ...)" sometimes answers with
    that very form; the caller hears the result in words instead."""
    runner = ScriptedRunner(check_availability=NESTED)
    result, _ = _call({"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
                      "Anything tomorrow?", runner, "free=09:00, 14:00. (check_availability returned it.)")
    assert result.recorder.messages("assistant") == [NESTED_WORDS]


def test_a_caller_asking_whether_anyone_is_there_is_told_so_not_about_the_business() -> None:
    llm = FakeLLM(["Yes, there are two dentists available at Maple Grove Dental."])
    result = run_call(ONE_TURN, assistant={"first_message": None, "system_prompt": "We have two dentists."},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["Hi, is anybody there?"])))
    assert result.recorder.messages("assistant") == ["Yes, I'm here. How can I help you?"]


def test_a_sentence_that_says_the_callers_words_back_is_not_spoken() -> None:
    llm = FakeLLM(["My headset is not working in Teams calls, nobody can hear me. I'll note that for the team."])
    result = run_call(ONE_TURN, assistant={"first_message": None, "system_prompt": "You help with IT problems."},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["My headset is not working in Teams calls, "
                                                                 "nobody can hear me."])))
    assert result.recorder.messages("assistant") == ["I'll note that for the team."]


def test_a_reply_that_says_the_last_answer_again_to_a_backchannel_is_not_spoken() -> None:
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 8.0), ("speak", 0.5), ("silence", 8.0), ("hangup",)]
    llm = FakeLLM(["Your order left our depot this morning.", "Your order left our depot this morning."])
    result = run_call(script, assistant={"first_message": None, "system_prompt": "You track orders."},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["I'm calling about my order.", "Uh-huh."])),
                      max_seconds=20)
    assert result.recorder.messages("assistant") == ["Your order left our depot this morning.",
                                                     "Is there anything else I can help you with?"]


def test_parrots_spares_short_read_backs() -> None:
    said = ["Good morning! Do you have anything free on Wednesday afternoon?", "Mm-hm.", "My name is Marcus Webb.",
            "Sure, it's 555 867 2210."]
    assert parrots(said)("Do you have anything free on Wednesday afternoon?")
    assert parrots(said)("Good morning! Do you have anything free on Wednesday afternoon?")
    assert not parrots(said)("Good morning!")  # two words: a greeting back is fine
    assert not parrots(said)("Marcus Webb, 555 867 2210.")  # a read-back of the values
    assert not parrots(said)("We have something free on Wednesday afternoon.")
    assert spoken_result({"available": True, "slots": ["14:00", "16:30", "17:00"], "note": None}) == (
        "Here is what I found: available: yes; slots: 14:00, 16:30 and 17:00.")
    pieces = parrots(said)  # a reply spoken in pieces: what follows a parroted piece in that turn goes too
    assert [pieces(p) for p in ("Good morning!", "Do you have anything free", "on Wednesday afternoon?")] == [
        False, True, True]


def test_relative_dates_are_resolved_in_code_from_the_callers_words() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    _call(
        {"tool": "book_appointment", "arguments": {"date": "2025-06-13", "time": "3", "name": "Anna"}},
        "Book me next Monday at 3 pm, I'm Anna.",
        runner,
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-09", "time": "15:00", "name": "Anna"})]


def test_a_value_nobody_gave_is_asked_for_with_one_short_question() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    result, llm = _call(
        {"tool": "book_appointment", "arguments": {"date": "soon", "time": "", "name": "Bo"}},
        "Book me in, I'm Bo.",
        runner,
        "never spoken",
    )
    assert runner.calls == []
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "needs_arguments" and record["missing"] == ["date", "time"]
    assert record["arguments"] == {"name": "Bo"} and record["sources"]["name"]["from"] == "caller"
    assert result.recorder.messages("assistant") == ["For which day?"]


def test_a_webhook_timeout_gives_a_spoken_apology() -> None:
    runner = ScriptedRunner(check_availability="hang")
    result, _ = _call({"tool": "check_availability", "arguments": {"date": "tomorrow"}}, "Tomorrow?", runner)
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "timeout"
    assert result.recorder.messages("assistant") == [FILLER, TOOL_TIMEOUT_APOLOGY]
    filler_at, apology_at = [t for t, k, v in result.recorder.events if k == "message" and v["role"] == "assistant"]
    assert filler_at < 5.0  # the tool is slow: the caller hears the filler at once
    assert 16.0 <= apology_at <= 17.0  # the 10 s deadline, then the 3.9 s apology


def test_a_tool_error_gives_a_spoken_apology() -> None:
    runner = ScriptedRunner(cancel_appointment=ToolError("HTTP 500"))
    result, _ = _call({"tool": "cancel_appointment", "arguments": {"date": "2025-06-06"}}, "Cancel Friday.", runner)
    assert result.recorder.of("tool_call")[0]["status"] == "error"
    assert result.recorder.messages("assistant") == [TOOL_ERROR_APOLOGY]


def test_async_tools_are_not_awaited() -> None:
    tools = [
        {
            "type": "function",
            "name": "send_sms",
            "async": True,
            "description": "Text the caller.",
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
        }
    ]
    runner = ScriptedRunner(send_sms="hang")
    result, _ = _call(
        {"tool": "send_sms", "arguments": {"text": "See you Friday"}},
        "Text me: see you Friday.",
        runner,
        "I've sent it.",
        llm_config={"tools": tools},
    )
    assert runner.calls == [("send_sms", {"text": "See you Friday"})]
    first_reply = [t for t, k, v in result.recorder.events if k == "message" and v["role"] == "assistant"][0]
    assert first_reply < 4.0
    assert result.recorder.messages("assistant") == ["I've sent it."]


def test_end_call_tool_says_goodbye_and_hangs_up() -> None:
    result, _ = _call({"tool": "end_call", "arguments": {}}, "Bye!", ScriptedRunner())
    assert result.recorder.messages("assistant") == [GOODBYE]
    assert result.reason == "assistant-ended-call"


def test_transfer_tool_speaks_the_destination_message_and_transfers() -> None:
    result, _ = _call(
        {"tool": "transfer_call", "arguments": {"destination": "+31201234567"}}, "A person please.", ScriptedRunner()
    )
    assert result.recorder.messages("assistant") == ["Connecting you to the front desk."]
    assert result.recorder.of("transfer") == ["+31201234567"]


def test_a_failed_decision_still_gets_a_reply() -> None:
    llm = FakeLLM(["Sorry, could you repeat that?"], json_replies=[])
    result = run_call(
        ONE_TURN,
        assistant={**BOOKING, "first_message": None},
        engines=fake_engines(llm=llm, stt=FakeSTT(["mumble"])),
        max_seconds=10,
    )
    assert result.recorder.messages("assistant") == ["Sorry, could you repeat that?"]
    assert result.recorder.of("tool_call") == []


def test_an_unknown_or_other_intent_means_no_tool() -> None:
    specs = normalise_tools(BOOKING["llm_config"]["tools"])
    for answer in ({"intent": "launch rocket"}, {"intent": "something else"}):
        llm = FakeLLM(json_replies=[answer])
        decision = asyncio.run(decide(llm, [{"role": "user", "content": "hi"}], specs))
        assert decision.tool is None and len(llm.requests) == 1


def test_the_decision_asks_for_a_plain_words_intent_then_loose_arguments() -> None:
    specs = normalise_tools(BOOKING["llm_config"]["tools"])
    assert intent_schema(specs)["properties"]["intent"]["enum"] == [
        "check availability",
        "book appointment",
        "cancel appointment",
        "say goodbye",
        "talk to a person",
        "something else",
    ]
    [book] = [s for s in specs if s.name == "book_appointment"]
    assert "format" not in arguments_schema(book)["properties"]["date"]
    llm = FakeLLM(json_replies=[{"intent": "book appointment"}, {"date": "Friday", "time": "2 pm", "name": "Al"}])
    decision = asyncio.run(decide(llm, [{"role": "user", "content": "Friday at 2, Al"}], specs))
    assert decision.tool is book and decision.arguments == {"date": "Friday", "time": "2 pm", "name": "Al"}


def test_validation_uses_the_tools_schema_and_iso_formats() -> None:
    [check] = [s for s in normalise_tools(BOOKING["llm_config"]["tools"]) if s.name == "check_availability"]
    assert validation_errors(check, {"date": "2025-06-04"}) == []
    assert validation_errors(check, {"date": "next week"})
    assert validation_errors(check, {})




def test_the_system_prompt_has_a_calendar_and_stays_the_same_all_call() -> None:
    specs = normalise_tools(BOOKING["llm_config"]["tools"])
    prompt = system_prompt("Be nice.", specs, FIXED_NOW)
    assert "Tuesday 2025-06-03" in prompt and "Monday = 2025-06-09" in prompt
    assert "book_appointment(date: date, time: time, name: string)" in prompt
    llm = FakeLLM(["Hi."], json_replies=[{"intent": "something else"}, {"intent": "something else"}])
    script = [("silence", 1.0), ("speak", 1.0), ("silence", 4.0), ("speak", 1.0), ("silence", 4.0)]
    result = run_call(
        script, assistant={**BOOKING, "first_message": None}, engines=fake_engines(llm=llm), max_seconds=12
    )
    firsts = {r["messages"][0]["content"] for r in llm.requests}
    assert len(firsts) == 1 and llm.prefilled == [[llm.requests[0]["messages"][0]]]
    assert result.recorder.messages("user") == ["hello", "hello"]


def test_the_greeting_is_prefilled_with_the_system_prompt_when_the_assistant_speaks_first() -> None:
    llm = FakeLLM(["Hi."])
    script = [("silence", 4.0), ("speak", 1.0), ("silence", 4.0)]
    run_call(script, assistant={"first_message": "Hello, Acme dental."}, engines=fake_engines(llm=llm), max_seconds=10)
    head = llm.prefilled[0]
    assert head[1] == {"role": "assistant", "content": "Hello, Acme dental."}
    assert llm.requests[0]["messages"][: len(head)] == head  # the first turn starts with what was prefilled


def test_llm_failure_mid_reply_gets_an_apology() -> None:
    llm = FakeLLM([EngineError("llm_failed", "boom")])
    result = run_call(ONE_TURN, assistant={"first_message": None}, engines=fake_engines(llm=llm), max_seconds=10)
    assert len(result.recorder.messages("assistant")) == 1
    assert "say it again" in result.recorder.messages("assistant")[0]




def _spec(name: str) -> Any:
    [spec] = [s for s in normalise_tools(BOOKING["llm_config"]["tools"]) if s.name == name]
    return spec


def test_a_question_routed_to_a_tool_is_answered_without_it_and_without_asking_for_details() -> None:
    runner = ScriptedRunner(check_availability={"free": ["09:00"]})
    result, llm = _call(
        {"tool": "check_availability", "arguments": {"date": "2025-06-09"}},
        "What are your opening hours?",
        runner,
        "We are open Monday to Friday, nine to five.",
    )
    assert runner.calls == []
    assert result.recorder.of("tool_call") == []
    # the answer is the instructions' own line, not the model's reply (no model call at all)
    [answer] = result.recorder.messages("assistant")
    assert answer.startswith("The clinic is open Monday to Friday")
    assert llm.requests == [] or not any("Ask the caller" in str(m["content"]) for m in llm.requests[-1]["messages"])


def test_a_grounded_booking_still_runs_the_tool() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    result, _ = _call(
        {"tool": "book_appointment", "arguments": {"date": "2025-06-06", "time": "14:30", "name": "Sara Bakker"}},
        "I'll take Friday at half past two. Name is Sara Bakker.",
        runner,
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "14:30", "name": "Sara Bakker"})]
    assert result.recorder.of("tool_call")[0]["status"] == "ok"







def test_a_reply_that_repeats_the_greeting_is_not_spoken_again() -> None:
    llm = FakeLLM(["Hello, Bright Smile Dental, how can I help you? We open at 8 am."])
    script = [("silence", 5.0), ("speak", 1.0), ("silence", 6.0)]
    result = run_call(script, assistant={"first_message": "Hello, Bright Smile Dental, how can I help you?",
                                         "system_prompt": "We open at 8 am on weekdays."},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["Tell me when you open."])), max_seconds=14)
    greeting, answer = result.recorder.messages("assistant")
    assert greeting == "Hello, Bright Smile Dental, how can I help you?"
    assert answer == "We open at 8 am."


def test_a_reply_that_is_only_the_greeting_still_answers_the_caller() -> None:
    llm = FakeLLM(["Hello, Bright Smile Dental, how can I help you?"])
    script = [("silence", 5.0), ("speak", 1.0), ("silence", 6.0)]
    result = run_call(script, assistant={"first_message": "Hello, Bright Smile Dental, how can I help you?",
                                         "system_prompt": "We open at 8 am on weekdays."},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["I was calling about something."])), max_seconds=14)
    greeting, answer = result.recorder.messages("assistant")
    assert greeting == "Hello, Bright Smile Dental, how can I help you?"
    assert answer == "I'm sorry, I didn't catch that. Could you say it again?"


@pytest.mark.parametrize("thanks", ["Great, thanks.", "Perfect, thank you!", "No, thanks.", "Cool. Thanks.", "Alright, thanks anyway."])
def test_thanks_alone_gets_the_fixed_answer_at_once(thanks: str) -> None:
    llm = FakeLLM(["You're welcome! Our dentists are the best in town."])
    result = run_call(ONE_TURN, assistant={"first_message": None, "system_prompt": "We have two dentists."},
                      engines=fake_engines(llm=llm, stt=FakeSTT([thanks])))
    assert result.recorder.messages("assistant") == ["You're welcome! Is there anything else I can help you with?"]
    assert not llm.requests


@pytest.mark.parametrize("said", ["Yes, thanks.", "Thanks, and where do I park?"])
def test_a_yes_or_a_question_with_thanks_is_not_answered_as_thanks(said: str) -> None:
    llm = FakeLLM(["Sure."])
    result = run_call(ONE_TURN, assistant={"first_message": None, "system_prompt": "You help callers."},
                      engines=fake_engines(llm=llm, stt=FakeSTT([said])))
    assert result.recorder.messages("assistant") != ["You're welcome! Is there anything else I can help you with?"]


def test_an_assistant_of_another_language_hears_the_models_words_for_a_result() -> None:
    """The result said in code is English; a German assistant's caller hears the model's answer."""
    runner = ScriptedRunner(check_availability={"available": True, "slots": ["09:00"]})
    result, _ = _call({"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
                      "Anything tomorrow?", runner, "Ja, um neun Uhr ist frei.", language="de")
    assert result.recorder.messages("assistant") == ["Ja, um neun Uhr ist frei."]
