"""Post-call analysis from an assistant's `analysis_plan`: a summary, structured data, a success rating.

The controller calls `analyse()` after the call, off the turn path. Every part is asked for as
grammar-constrained JSON (`LLM.complete_json`) and validated again here. A small model can still
produce garbage or fail, so each part has a deterministic fallback: the structured data then
comes from the schema itself (its defaults, else null where allowed, else the type's empty
value) and always validates; the summary becomes an extract of the transcript; the rating is
None. A fallback is logged, never raised: an end-of-call report must not be lost to analysis.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import jsonschema

from voicedock.assistant import CallAssistant
from voicedock.engines.base import LLM, EngineError
from voicedock.schemas.assistants import StructuredDataPlan, SuccessEvaluationPlan

from .analysis_checks import actions_done, ground_structured, summary_problems

log = logging.getLogger("voicedock.conversation.analysis")

Analyser = Callable[[CallAssistant, list[Mapping[str, Any]], list[Mapping[str, Any]]], Awaitable[Mapping[str, Any]]]
"""What the call side runs after a call: the assistant, the call's messages and its tool calls in,
the analysis out."""

TRANSCRIPT_CHARS = 5000
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "minLength": 1, "maxLength": 800}},
    "required": ["summary"],
}
RUBRICS: dict[str, tuple[str, dict[str, Any], str]] = {
    "pass-fail": ("success", {"type": "boolean"}, "true if the call achieved its goal, else false"),
    "numeric-scale": ("score", {"type": "integer", "minimum": 1, "maximum": 10}, "a score from 1 (bad) to 10"),
    "descriptive-scale": (
        "rating",
        {"type": "string", "enum": ["Excellent", "Good", "Fair", "Poor"]},
        "one of Excellent, Good, Fair, Poor",
    ),
}


def transcript_text(messages: Sequence[Mapping[str, Any]], limit: int = TRANSCRIPT_CHARS) -> str:
    """Caller and assistant lines only; the end of a long call matters most, so the start is cut."""
    lines = []
    for m in messages:
        role = {"user": "Caller", "assistant": "Assistant", "dtmf": "Keypad"}.get(str(m.get("role")))
        if role and m.get("content"):
            lines.append(f"{role}: {m['content']}")
    text = "\n".join(lines)
    return text if len(text) <= limit else "…" + text[-limit:]


async def analyse(
    llm: LLM, assistant: CallAssistant, messages: Sequence[Mapping[str, Any]],
    tool_calls: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """{summary, structured_data, success_evaluation} for a finished call, grounded in the call."""
    plan = assistant.analysis_plan
    transcript = transcript_text(messages)
    summary = await _summary(llm, plan.summary_prompt if plan else None, transcript, tool_calls)
    data_plan = plan.structured_data_plan if plan else None
    structured = None
    if data_plan is not None and data_plan.enabled:
        structured = await structured_data(llm, data_plan, transcript)
        structured = ground_structured(structured, data_plan.json_schema, transcript, tool_calls)
    eval_plan = plan.success_evaluation_plan if plan else None
    success = None
    if eval_plan is not None and eval_plan.enabled:
        success = await _success(llm, eval_plan, assistant.system_prompt, transcript)
    return {"summary": summary, "structured_data": structured, "success_evaluation": success}


async def _ask(llm: LLM, messages: list[dict[str, str]], schema: Mapping[str, Any], tries: int = 2) -> Any:
    """The model's object if it validates (one retry: grammars cannot express every keyword), else None."""
    for attempt in range(tries):
        try:
            result = await llm.complete_json(messages, schema, max_tokens=400)
            jsonschema.validate(result, dict(schema))
            return result
        except (EngineError, jsonschema.ValidationError, jsonschema.SchemaError, TypeError, ValueError) as err:
            log.warning("analysis output rejected", extra={"attempt": attempt + 1, "error": type(err).__name__})
    return None


async def _summary(llm: LLM, prompt: Any, transcript: str, tool_calls: Sequence[Mapping[str, Any]]) -> str:
    if not transcript:
        return "No conversation took place."
    done = actions_done(tool_calls)
    system = str(prompt or "Summarise the phone call in two or three plain sentences.") + (
        " Say only what the call says. What the system did: " + ("; ".join(done) if done else "nothing")
        + ". Nothing else was booked, cancelled or changed."
    )
    result = await _ask(
        llm, [{"role": "system", "content": system}, {"role": "user", "content": transcript}], SUMMARY_SCHEMA
    )
    summary = str(result.get("summary", "")).strip() if result else ""
    problems = summary_problems(summary, transcript, tool_calls) if summary else ["empty"]
    if not problems:
        return summary
    log.warning("summary not grounded in the call; using the plain one", extra={"problems": problems[:5]})
    return fallback_summary(transcript, done)


def fallback_summary(transcript: str, done: Sequence[str] = ()) -> str:
    """A summary made only of the call's own words and what its tools did."""
    first = next((line for line in transcript.splitlines() if line.startswith("Caller:")), "")
    turns = sum(1 for line in transcript.splitlines() if line.startswith("Caller:"))
    said = first.removeprefix("Caller:").strip()[:200]
    text = f"Call with {turns} caller turn{'s' if turns != 1 else ''}." + (
        f' The caller said: "{said}"' if said else ""
    )
    return text + (" Done: " + "; ".join(done) + "." if done else " No action was taken.")


async def structured_data(llm: LLM, plan: StructuredDataPlan, transcript: str) -> Any:
    schema = plan.json_schema
    schema_text = json.dumps(schema, ensure_ascii=False)
    custom = plan.messages
    if custom:
        messages = [
            {
                "role": str(m.get("role", "system")),
                "content": str(m.get("content", ""))
                .replace("{{transcript}}", transcript)
                .replace("{{schema}}", schema_text),
            }
            for m in custom
        ]
        if not any("{{transcript}}" in str(m.get("content", "")) for m in custom):
            messages.append({"role": "user", "content": transcript})
    else:
        messages = [
            {
                "role": "system",
                "content": "Extract data from the phone call below as JSON matching this schema. "
                f"Use null for anything the call did not say.\nSchema: {schema_text}",
            },
            {"role": "user", "content": transcript},
        ]
    result = await _ask(llm, messages, schema)
    if result is not None:
        return result
    log.warning("structured data fell back to the schema's defaults")
    return fallback_instance(schema)


async def _success(llm: LLM, plan: SuccessEvaluationPlan, goal: str, transcript: str) -> Any:
    key, value_schema, meaning = RUBRICS[plan.rubric]
    question = plan.prompt or "Did the assistant achieve the goal of its instructions?"
    schema = {"type": "object", "properties": {key: value_schema}, "required": [key]}
    messages = [
        {
            "role": "system",
            "content": f"You judge phone calls. The assistant's instructions were:\n{goal[:1500]}\n\n"
            f"{question} Answer as JSON with {key}: {meaning}.",
        },
        {"role": "user", "content": transcript or "(no conversation)"},
    ]
    result = await _ask(llm, messages, schema)
    return result[key] if result else None


def fallback_instance(schema: Any, root: Any = None) -> Any:
    """A value that satisfies `schema` without inventing facts: defaults, else null, else empty."""
    root = schema if root is None else root
    if not isinstance(schema, Mapping):
        return None
    if "$ref" in schema and str(schema["$ref"]).startswith("#/"):
        target: Any = root
        for part in str(schema["$ref"])[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return fallback_instance(target, root)
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    if "enum" in schema:
        return None if None in schema["enum"] else copy.deepcopy(schema["enum"][0])
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            candidate = fallback_instance(branch, root)
            if _valid(candidate, schema, root):
                return candidate
    if schema.get("allOf"):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, Mapping):
                merged = {
                    **merged,
                    **part,
                    "properties": {**merged.get("properties", {}), **part.get("properties", {})},
                }
                merged["required"] = sorted(set(merged.get("required", [])) | set(part.get("required", [])))
        return fallback_instance(merged, root)
    types = schema.get("type")
    if isinstance(types, list):
        if "null" in types:
            return None
        types = types[0] if types else None
    return _empty_of(types, schema, root)


def _empty_of(kind: Any, schema: Mapping[str, Any], root: Any) -> Any:
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties") or {}
        return {name: fallback_instance(props.get(name, {}), root) for name in schema.get("required") or []}
    if kind == "array":
        item = fallback_instance(schema.get("items", {}), root)
        return [copy.deepcopy(item) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "?" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(0, low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0))
        high = schema.get("maximum")
        value = min(value, high) if high is not None else value
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None


def _valid(value: Any, schema: Mapping[str, Any], root: Any) -> bool:
    try:
        jsonschema.validate(value, root if schema is root else {**dict(schema), "$defs": (root or {}).get("$defs", {})})
    except (jsonschema.ValidationError, jsonschema.SchemaError):
        return False
    return True
