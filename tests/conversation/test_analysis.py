"""Post-call analysis: summary, structured data that always validates, and a success rating."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from voicedock.assistant import CallAssistant
from voicedock.conversation.analysis import analyse, fallback_instance
from voicedock.engines.fakes import FakeLLM

SCHEMA = {
    "type": "object",
    "properties": {
        "appointment_booked": {"type": "boolean"},
        "date": {"type": ["string", "null"], "format": "date"},
        "name": {"type": "string", "minLength": 2},
        "service": {"enum": ["cleaning", "checkup", None]},
        "party": {"type": "integer", "minimum": 1, "maximum": 8},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["appointment_booked", "date", "name", "service", "party", "tags"],
}
ASSISTANT = {
    "system_prompt": "Book dental appointments.",
    "analysis_plan": {
        "summary_prompt": "Summarise the call.",
        "structured_data_plan": {"enabled": True, "schema": SCHEMA},
        "success_evaluation_plan": {"rubric": "numeric-scale"},
    },
}
MESSAGES = [
    {"role": "assistant", "content": "Bright Smile, how can I help?"},
    {"role": "user", "content": "Book me a cleaning on Friday at two, Anna Jansen."},
    {"role": "system", "content": "internal note"},
    {"role": "assistant", "content": "You're booked for Friday at two."},
]
GOOD = {
    "appointment_booked": True,
    "date": "2025-06-06",
    "name": "Anna Jansen",
    "service": "cleaning",
    "party": 1,
    "tags": ["new"],
}


BOOKED = [{"name": "book_appointment", "status": "ok", "result": {"booked": True},
           "arguments": {"date": "2025-06-06", "time": "14:00", "name": "Anna Jansen"}}]


def test_analysis_uses_the_models_answers_when_they_validate() -> None:
    llm = FakeLLM(json_replies=[{"summary": "Anna booked a cleaning."}, GOOD, {"score": 9}])
    result = asyncio.run(analyse(llm, CallAssistant.parse(ASSISTANT), MESSAGES, BOOKED))
    assert result == {"summary": "Anna booked a cleaning.", "structured_data": GOOD, "success_evaluation": 9}
    prompt = llm.requests[1]["messages"][-1]["content"]
    assert "Caller: Book me a cleaning" in prompt and "internal note" not in prompt


def test_garbage_from_the_model_still_gives_schema_valid_data() -> None:
    garbage: list[dict[str, Any]] = [{"nonsense": 1}, {"appointment_booked": "yes"}, {"name": 3}, {}, {"score": 99}]
    llm = FakeLLM(json_replies=garbage)
    result = asyncio.run(analyse(llm, CallAssistant.parse(ASSISTANT), MESSAGES))
    jsonschema.validate(result["structured_data"], SCHEMA)
    assert result["structured_data"]["date"] is None  # nothing is invented: null where the schema allows it
    assert result["summary"].startswith("Call with 1 caller turn.")
    assert result["success_evaluation"] is None


def test_an_engine_failure_is_not_raised() -> None:
    llm = FakeLLM(json_replies=[])  # every complete_json raises EngineError
    result = asyncio.run(analyse(llm, CallAssistant.parse(ASSISTANT), MESSAGES))
    jsonschema.validate(result["structured_data"], SCHEMA)


def test_plans_that_are_off_are_skipped() -> None:
    llm = FakeLLM(json_replies=[{"summary": "Short."}])
    result = asyncio.run(analyse(llm, CallAssistant.parse({"system_prompt": "x"}), MESSAGES))
    assert result == {"summary": "Short.", "structured_data": None, "success_evaluation": None}
    assert len(llm.requests) == 1


def test_pass_fail_and_descriptive_rubrics() -> None:
    for rubric, answer, expected in (
        ("pass-fail", {"success": True}, True),
        ("descriptive-scale", {"rating": "Good"}, "Good"),
    ):
        llm = FakeLLM(json_replies=[{"summary": "s"}, answer])
        plan = {"analysis_plan": {"success_evaluation_plan": {"rubric": rubric}}}
        assert asyncio.run(analyse(llm, CallAssistant.parse(plan), MESSAGES))["success_evaluation"] == expected


def test_custom_messages_get_the_transcript() -> None:
    plan = {
        "enabled": True,
        "schema": {"type": "object"},
        "messages": [{"role": "system", "content": "Extract. Transcript: {{transcript}}"}],
    }
    llm = FakeLLM(json_replies=[{"summary": "s"}, {"ok": True}])
    result = asyncio.run(analyse(llm, CallAssistant.parse({"analysis_plan": {"structured_data_plan": plan}}), MESSAGES))
    assert result["structured_data"] == {"ok": True}
    assert "Caller: Book me" in llm.requests[1]["messages"][0]["content"]


_leaf = st.sampled_from(
    [
        {"type": "string"},
        {"type": "string", "minLength": 3},
        {"type": "integer", "minimum": 5},
        {"type": "number", "maximum": -1},
        {"type": "boolean"},
        {"type": "null"},
        {"enum": ["a", "b"]},
        {"type": ["integer", "null"]},
        {"const": 7},
        {"type": "array", "items": {"type": "integer"}, "minItems": 2},
    ]
)
_schemas = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, min_size=1).map(
            lambda props: {"type": "object", "properties": props, "required": sorted(props)}
        ),
        st.lists(inner, min_size=1, max_size=3).map(lambda branches: {"anyOf": branches}),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(_schemas)
def test_the_fallback_validates_against_generated_schemas(schema: dict[str, Any]) -> None:
    jsonschema.validate(fallback_instance(schema), schema)


def test_a_summary_claiming_what_did_not_happen_is_replaced_and_unsaid_values_are_null() -> None:
    invented = {"summary": "Anna was booked for a cleaning at 22:59 on Monday."}
    llm = FakeLLM(json_replies=[invented, {**GOOD, "date": "2025-06-09"}, {"score": 2}])
    result = asyncio.run(analyse(llm, CallAssistant.parse(ASSISTANT), MESSAGES))
    assert "22:59" not in result["summary"] and "Monday" not in result["summary"]
    assert "No action was taken" in result["summary"]
    assert result["structured_data"]["date"] is None  # nullable, and the call never said it
    assert result["structured_data"]["name"] == "Anna Jansen"


def test_a_summary_of_what_the_call_said_and_did_is_kept() -> None:
    llm = FakeLLM(json_replies=[{"summary": "Anna Jansen asked for a cleaning on Friday at two; it was booked."}])
    result = asyncio.run(analyse(llm, CallAssistant.parse({"system_prompt": "x"}), MESSAGES, BOOKED))
    assert result["summary"] == "Anna Jansen asked for a cleaning on Friday at two; it was booked."
    request = llm.requests[0]["messages"][0]["content"]
    assert "book_appointment(date=2025-06-06" in request


def test_a_summary_that_copies_the_call_out_is_replaced() -> None:
    dump = {"summary": "Hello, this is Anna. How can I help you? Caller: I'd like a cleaning. Assistant: Booked."}
    llm = FakeLLM(json_replies=[dump])
    result = asyncio.run(analyse(llm, CallAssistant.parse({"system_prompt": "x"}), MESSAGES, BOOKED))
    assert "Caller:" not in result["summary"] and "?" not in result["summary"]
    assert "book_appointment" in result["summary"]  # the plain summary: what the call said and did


def test_a_summary_that_calls_a_time_free_with_no_look_up_or_repeats_itself_is_replaced() -> None:
    from voicedock.conversation.analysis_checks import summary_problems

    asked = "Caller: Is Dr. Smith available next week?\nAssistant: For which day?"
    assert summary_problems("Dr. Smith is available next week.", asked, []) == ["claims check"]
    checked = [{"name": "check_availability", "status": "ok", "arguments": {}}]
    assert summary_problems("Dr. Smith is available next week.", asked, checked) == []
    looped = "They accept most major insurance plans. They accept most major insurance plans. They"
    assert summary_problems(looped, "Caller: What insurance do you take?", []) == ["repeats itself"]
