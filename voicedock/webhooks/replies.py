"""Parsing the replies of request-response webhooks (``assistant-request``, ``tool-calls``).

A customer's server can answer anything; a call must never fail because of it. Every parser
returns a typed result, and anything unusable becomes ``malformed`` instead of an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ReplyKind(StrEnum):
    KEEP = "keep"  # assistant-request: use the configured assistant
    ASSISTANT = "assistant"  # assistant-request: a one-off assistant config
    OVERRIDE = "override"  # assistant-request: another/the configured assistant, shallow-merged
    RESULTS = "results"  # tool-calls: one result per tool call id
    RESULT = "result"  # tool-calls: one result for the whole request
    ERROR = "error"  # the receiver answered {"error": "..."}
    MALFORMED = "malformed"  # a reply arrived but is not one of the documented shapes
    NO_REPLY = "no_reply"  # timeout, connection failure, non-2xx status, or not subscribed


def _decode(body: bytes | str | None) -> tuple[Any, str | None]:
    """(value, problem); an empty body decodes to an empty object."""
    if body is None:
        return {}, None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return {}, None
    try:
        return json.loads(text), None
    except ValueError as err:
        return None, f"reply is not JSON: {err}"


def _error_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, Mapping) and isinstance(message := value.get("message"), str):
        return message
    return None


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in data:
            return data[key]
    return None


@dataclass(frozen=True)
class AssistantReply:
    kind: ReplyKind
    assistant: dict[str, Any] | None = None
    assistant_id: str | None = None
    assistant_override: dict[str, Any] | None = None
    error: str | None = None
    detail: str | None = None

    @property
    def uses_configured_assistant(self) -> bool:
        """True where the call proceeds with the assistant it already has, untouched."""
        return self.kind in (ReplyKind.KEEP, ReplyKind.MALFORMED, ReplyKind.NO_REPLY)

    @classmethod
    def no_reply(cls, detail: str) -> AssistantReply:
        return cls(ReplyKind.NO_REPLY, detail=detail)


def parse_assistant_reply(body: bytes | str | None) -> AssistantReply:
    data, problem = _decode(body)
    if problem:
        return AssistantReply(ReplyKind.MALFORMED, detail=problem)
    if not isinstance(data, Mapping):
        return AssistantReply(ReplyKind.MALFORMED, detail="reply is not a JSON object")
    if "error" in data:
        text = _error_text(data["error"])
        if text is None:
            return AssistantReply(ReplyKind.MALFORMED, detail="'error' must be a non-empty string")
        return AssistantReply(ReplyKind.ERROR, error=text)
    if "assistant" in data:
        assistant = data["assistant"]
        if not isinstance(assistant, Mapping):
            return AssistantReply(ReplyKind.MALFORMED, detail="'assistant' must be an object")
        return AssistantReply(ReplyKind.ASSISTANT, assistant=dict(assistant))
    assistant_id = _first(data, "assistant_id", "assistantId")
    override = _first(data, "assistant_override", "assistant_overrides", "assistantOverrides")
    if assistant_id is None and override is None:
        return AssistantReply(ReplyKind.KEEP)
    if assistant_id is not None and not isinstance(assistant_id, str):
        return AssistantReply(ReplyKind.MALFORMED, detail="'assistant_id' must be a string")
    if override is not None and not isinstance(override, Mapping):
        return AssistantReply(ReplyKind.MALFORMED, detail="'assistant_override' must be an object")
    return AssistantReply(
        ReplyKind.OVERRIDE, assistant_id=assistant_id, assistant_override=dict(override) if override else {}
    )


@dataclass(frozen=True)
class ToolCallsReply:
    kind: ReplyKind
    results: Mapping[str, Any] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    detail: str | None = None

    def result_for(self, tool_call_id: str) -> Any:
        """The value to hand the LLM for one tool call; None where the reply gave nothing usable."""
        if self.kind is ReplyKind.RESULTS:
            return self.results.get(tool_call_id)
        if self.kind is ReplyKind.RESULT:
            return self.result
        if self.kind is ReplyKind.ERROR:
            return {"error": self.error}
        return None

    @classmethod
    def no_reply(cls, detail: str) -> ToolCallsReply:
        return cls(ReplyKind.NO_REPLY, detail=detail)


def _parse_results(items: Any) -> ToolCallsReply:
    if not isinstance(items, list):
        return ToolCallsReply(ReplyKind.MALFORMED, detail="'results' must be a list")
    results: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Mapping):
            return ToolCallsReply(ReplyKind.MALFORMED, detail="each entry of 'results' must be an object")
        call_id = _first(item, "tool_call_id", "toolCallId")
        if not isinstance(call_id, str) or not call_id:
            return ToolCallsReply(ReplyKind.MALFORMED, detail="each result needs a 'tool_call_id'")
        if "result" in item:
            results[call_id] = item["result"]
        elif _error_text(item.get("error")) is not None:
            results[call_id] = {"error": _error_text(item["error"])}
        else:
            return ToolCallsReply(ReplyKind.MALFORMED, detail=f"result for {call_id!r} has no 'result'")
    return ToolCallsReply(ReplyKind.RESULTS, results=results)


def parse_tool_calls_reply(body: bytes | str | None) -> ToolCallsReply:
    data, problem = _decode(body)
    if problem:
        return ToolCallsReply(ReplyKind.MALFORMED, detail=problem)
    if not isinstance(data, Mapping):
        return ToolCallsReply(ReplyKind.MALFORMED, detail="reply is not a JSON object")
    if "results" in data:
        return _parse_results(data["results"])
    if "result" in data:
        return ToolCallsReply(ReplyKind.RESULT, result=data["result"])
    if "error" in data:
        text = _error_text(data["error"])
        if text is None:
            return ToolCallsReply(ReplyKind.MALFORMED, detail="'error' must be a non-empty string")
        return ToolCallsReply(ReplyKind.ERROR, error=text)
    return ToolCallsReply(ReplyKind.MALFORMED, detail="reply has none of 'results', 'result', 'error'")
