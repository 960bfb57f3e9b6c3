"""Tool calls in a conversation: decided as constrained JSON, dates resolved in code, arguments
validated before anything runs, and a spoken answer whatever the tool does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.conversation.harness import FIXED_NOW, run_call
from voicedock.conversation.decide import decide, system_prompt
from voicedock.conversation.tool_runner import ToolError
from voicedock.conversation.tools import (
    ASK,
    DROP,
    RUN,
    Decision,
    arguments_schema,
    intent_schema,
    normalise_tools,
    prepare_arguments,
    settle,
    validation_errors,
)
from voicedock.conversation.turns import GOODBYE, TOOL_ERROR_APOLOGY, TOOL_TIMEOUT_APOLOGY
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

    async def __call__(self, info: Any, tool: Any, call_id: str, arguments: Any) -> Any:
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


def test_a_tool_result_goes_back_to_the_llm_and_the_answer_is_spoken() -> None:
    runner = ScriptedRunner(check_availability={"free": ["09:00", "14:00"]})
    result, llm = _call(
        {"tool": "check_availability", "arguments": {"date": "2025-06-04"}},
        "Anything tomorrow?",
        runner,
        "I have nine and two o'clock.",
    )
    assert runner.calls == [("check_availability", {"date": "2025-06-04"})]
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "ok" and record["result"] == {"free": ["09:00", "14:00"]}
    notes = [m["content"] for m in llm.requests[-1]["messages"] if m["role"] == "system"]
    assert "free=['09:00', '14:00']" in notes[-1] or '["09:00", "14:00"]' in notes[-1]
    assert result.recorder.messages("assistant") == ["I have nine and two o'clock."]


def test_relative_dates_are_resolved_in_code_from_the_callers_words() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    _call(
        {"tool": "book_appointment", "arguments": {"date": "2025-06-13", "time": "3", "name": "Anna"}},
        "Book me next Monday at 3 pm, I'm Anna.",
        runner,
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-09", "time": "15:00", "name": "Anna"})]


def test_invalid_arguments_are_rejected_before_calling_and_the_caller_is_asked() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    result, llm = _call(
        {"tool": "book_appointment", "arguments": {"date": "soon", "time": "", "name": "Bo"}},
        "Book me in, I'm Bo.",
        runner,
        "What day and time would you like?",
    )
    assert runner.calls == []
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "invalid_arguments"
    assert "Ask the caller" in llm.requests[-1]["messages"][-1]["content"]
    assert result.recorder.messages("assistant") == ["What day and time would you like?"]


def test_a_webhook_timeout_gives_a_spoken_apology() -> None:
    runner = ScriptedRunner(check_availability="hang")
    result, _ = _call({"tool": "check_availability", "arguments": {"date": "tomorrow"}}, "Tomorrow?", runner)
    [record] = result.recorder.of("tool_call")
    assert record["status"] == "timeout"
    assert result.recorder.messages("assistant") == [TOOL_TIMEOUT_APOLOGY]
    said_at = [t for t, k, v in result.recorder.events if k == "message" and v["role"] == "assistant"][0]
    assert 16.0 <= said_at <= 17.0  # the 10 s deadline, then the 3.9 s apology


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
        "Text me.",
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


def test_caller_words_fill_dates_and_times_the_model_got_wrong() -> None:
    [book] = [s for s in normalise_tools(BOOKING["llm_config"]["tools"]) if s.name == "book_appointment"]
    args = prepare_arguments(
        book, {"date": "2025-06-05", "time": "10:00", "name": "X"}, FIXED_NOW, "Wednesday next week at half past two"
    )
    assert args == {"date": "2025-06-11", "time": "14:30", "name": "X"}


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


def test_dates_the_model_invented_are_replaced_by_ones_from_the_conversation() -> None:
    [book] = [s for s in normalise_tools(BOOKING["llm_config"]["tools"]) if s.name == "book_appointment"]
    earlier = ["On Thursday I have 9:00, 11:30 and 16:00 free.", "Anything free on Thursday?"]
    args = prepare_arguments(
        book, {"date": "2025-06-04", "time": "11:30", "name": "Tom"}, FIXED_NOW, "11:30 works, I'm Tom.", earlier
    )
    assert args == {"date": "2025-06-05", "time": "11:30", "name": "Tom"}
    invented = prepare_arguments(
        book, {"date": "2025-06-03", "time": "10:00", "name": "Tom"}, FIXED_NOW, "I'd like to book, I'm Tom.", []
    )
    assert invented == {"name": "Tom"}
    assert validation_errors(book, invented)


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
    reply_messages = llm.requests[-1]["messages"]
    assert reply_messages[-1] == {"role": "user", "content": "What are your opening hours?"}
    assert not any("Ask the caller" in str(m["content"]) for m in reply_messages)
    assert result.recorder.messages("assistant") == ["We are open Monday to Friday, nine to five."]


def test_a_grounded_booking_still_runs_the_tool() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    result, _ = _call(
        {"tool": "book_appointment", "arguments": {"date": "2025-06-06", "time": "14:30", "name": "Sara Bakker"}},
        "I'll take Friday at half past two. Name is Sara Bakker.",
        runner,
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "14:30", "name": "Sara Bakker"})]
    assert result.recorder.of("tool_call")[0]["status"] == "ok"


def test_asking_for_a_tools_action_without_its_details_still_asks_for_them() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    result, llm = _call(
        {"tool": "book_appointment", "arguments": {"date": "2025-06-03", "time": "10:00", "name": "Bright Smile"}},
        "I'd like to book a cleaning.",
        runner,
        "Sure, which day and time suit you?",
    )
    assert runner.calls == []
    assert result.recorder.of("tool_call")[0]["status"] == "invalid_arguments"
    assert "Ask the caller" in llm.requests[-1]["messages"][-1]["content"]


def test_settle_needs_the_callers_turn_to_support_a_function_tool() -> None:
    book, check = _spec("book_appointment"), _spec("check_availability")
    done = [
        "Result of book_appointment(date=2025-06-06, time=14:00, name=Anna Jansen): booked=true.",
        "Book me Friday at 2 pm, Anna Jansen.",
    ]
    full = {"date": "2025-06-06", "time": "14:00", "name": "Anna Jansen"}
    assert settle(Decision(book, full), FIXED_NOW, "Great, and do I need to bring anything?", done).action == DROP
    assert settle(Decision(book, full), FIXED_NOW, "Yes please, go ahead.", done).runs is book
    assert settle(Decision(book, full), FIXED_NOW, "Then book that one again.", done).action == RUN
    asked = ["Sure, may I have your name please?", "Can I book Monday the 9th at 9 am?"]
    named = settle(Decision(book, {"date": "x", "time": "9", "name": "Lisa Smit"}), FIXED_NOW, "It's Lisa Smit.", asked)
    assert named.action == RUN and named.arguments == {"date": "2025-06-09", "time": "09:00", "name": "Lisa Smit"}
    assert settle(Decision(check, {"date": "2025-06-09"}), FIXED_NOW, "Where is the clinic?").action == DROP
    assert settle(Decision(check, {"date": "today"}), FIXED_NOW, "Is anything available?").action == ASK
    assert settle(Decision(check, {"date": "x"}), FIXED_NOW, "Anything free on Friday?").action == RUN
    assert settle(Decision(None), FIXED_NOW, "Hello").runs is None


def test_settle_leaves_the_built_in_tools_to_the_model() -> None:
    end, transfer = _spec("end_call"), _spec("transfer_call")
    assert settle(Decision(end, {}), FIXED_NOW, "That's all.").runs is end
    assert settle(Decision(transfer, {"destination": "+31201234567"}), FIXED_NOW, "Who is this?").runs is transfer
