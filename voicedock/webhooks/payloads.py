"""Webhook message bodies: one ``{"message": {...}}`` envelope per event type.

Builders are pure so the call controller, the API and the tests all produce byte-identical
bodies; the serialised text is what gets signed and stored in the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..timeutil import now_iso

ASSISTANT_REQUEST = "assistant-request"
TOOL_CALLS = "tool-calls"
STATUS_UPDATE = "status-update"
TRANSCRIPT = "transcript"
END_OF_CALL_REPORT = "end-of-call-report"
EVENT_TYPES = (ASSISTANT_REQUEST, TOOL_CALLS, STATUS_UPDATE, TRANSCRIPT, END_OF_CALL_REPORT)
CALL_STATUSES = ("in-progress", "ended", "ended-with-error")

_SECRET_KEYS = frozenset({"webhook_secret", "webhook_secret_enc"})


def public_assistant(config: Mapping[str, Any]) -> dict[str, Any]:
    """The assistant as a receiver may see it: write-only secrets never leave the server."""

    def scrub(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: scrub(v) for k, v in value.items() if k not in _SECRET_KEYS}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    public: dict[str, Any] = scrub(dict(config))
    return public


def dumps(payload: Mapping[str, Any]) -> str:
    """Compact, deterministic JSON: the exact text signed and sent on every attempt."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=False)


@dataclass(frozen=True)
class CallRef:
    id: str
    type: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "status": self.status}


@dataclass(frozen=True)
class PhoneNumberRef:
    number: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name}


@dataclass(frozen=True)
class CustomerRef:
    number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number}


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, Any] | None = None  # where each argument came from (the caller, a tool result, ...)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "function",
                               "function": {"name": self.name, "arguments": dict(self.arguments)}}
        if self.sources is not None:
            out["argument_sources"] = dict(self.sources)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        function = data.get("function") or {}
        return cls(id=str(data["id"]), name=str(function.get("name", "")), arguments=function.get("arguments") or {})


@dataclass(frozen=True)
class MessageContext:
    """What every message of one call repeats: the call, the numbers and the assistant."""

    call: CallRef
    assistant: Mapping[str, Any]
    phone_number: PhoneNumberRef = field(default_factory=PhoneNumberRef)
    customer: CustomerRef = field(default_factory=CustomerRef)

    def envelope(self, event_type: str, fields: Mapping[str, Any], timestamp: str | None = None) -> dict[str, Any]:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event type: {event_type}")
        message: dict[str, Any] = {
            "type": event_type,
            "timestamp": timestamp or now_iso(),
            "call": self.call.to_dict(),
            "phone_number": self.phone_number.to_dict(),
            "customer": self.customer.to_dict(),
            "assistant": public_assistant(self.assistant),
        }
        message.update(fields)
        return {"message": message}


def call_context(
    *, call_id: str, direction: str, status: str, assistant: Mapping[str, Any],
    agent_phone: str | None, customer_phone: str | None,
) -> MessageContext:
    """The one builder of a call's message context, whichever way the call went: `phone_number` is
    always the assistant's number and `customer` the other party."""
    return MessageContext(
        call=CallRef(call_id, "inbound_phone_call" if direction == "inbound" else "outbound_phone_call", status),
        assistant=assistant,
        phone_number=PhoneNumberRef(number=agent_phone),
        customer=CustomerRef(number=customer_phone),
    )


def assistant_request(ctx: MessageContext, *, timestamp: str | None = None) -> dict[str, Any]:
    return ctx.envelope(ASSISTANT_REQUEST, {}, timestamp)


def tool_calls(ctx: MessageContext, calls: Sequence[ToolCall], *, timestamp: str | None = None) -> dict[str, Any]:
    return ctx.envelope(TOOL_CALLS, {"tool_call_list": [c.to_dict() for c in calls]}, timestamp)


def status_update(
    ctx: MessageContext, status: str, *, ended_reason: str | None = None, timestamp: str | None = None
) -> dict[str, Any]:
    if status not in CALL_STATUSES:
        raise ValueError(f"status-update status must be one of {CALL_STATUSES}, not {status!r}")
    fields: dict[str, Any] = {"status": status}
    if ended_reason is not None:
        fields["ended_reason"] = ended_reason
    return ctx.envelope(STATUS_UPDATE, fields, timestamp)


def transcript(ctx: MessageContext, role: str, text: str, *, timestamp: str | None = None) -> dict[str, Any]:
    """One final utterance; partial hypotheses are never sent."""
    return ctx.envelope(TRANSCRIPT, {"role": role, "transcript_type": "final", "transcript": text}, timestamp)


@dataclass(frozen=True)
class EndOfCallReport:
    ended_reason: str
    duration_seconds: float | None = None
    summary: str | None = None
    analysis: Mapping[str, Any] | None = None
    messages: Sequence[Mapping[str, Any]] = ()
    recording_url: str | None = None
    cost: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ended_reason": self.ended_reason,
            "duration_seconds": self.duration_seconds,
            "summary": self.summary,
            "analysis": dict(self.analysis) if self.analysis is not None else None,
            "messages": [dict(m) for m in self.messages],
            "recording_url": self.recording_url,
            "cost": self.cost,
        }


def end_of_call_report(ctx: MessageContext, report: EndOfCallReport, *, timestamp: str | None = None) -> dict[str, Any]:
    return ctx.envelope(END_OF_CALL_REPORT, report.to_dict(), timestamp)
