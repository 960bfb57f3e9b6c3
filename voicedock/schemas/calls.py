"""Calls, call control, usage and webhook deliveries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, model_validator

from .assistants import AssistantCreate
from .base import Body, IsoDateTime, Out, PageQuery, Pagination, Query

CallStatus = Literal["queued", "ringing", "in-progress", "ended", "failed", "rejected"]
Destination = Annotated[str, Field(pattern=r"^(\+[1-9][0-9]{1,14}|sips?:[^ \t\r\n]+)$", max_length=512)]
Id = Annotated[str, Field(max_length=64)]


class CallListQuery(PageQuery):
    status: CallStatus | None = None
    assistant_id: Id | None = None
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None


class Customer(Body):
    number: Annotated[str, Field(pattern=r"^(\+[1-9][0-9]{1,14}|sips?:[^ \t\r\n]+)$", max_length=512)]
    name: Annotated[str, Field(max_length=200)] | None = None


class CallCreate(Body):
    """Exactly one of `assistant_id` (a stored assistant) or `assistant` (a one-off configuration)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["assistant_id"]},
                                                            {"required": ["assistant"]}]})

    assistant_id: Id = None  # type: ignore[assignment]
    assistant: AssistantCreate = None  # type: ignore[assignment]
    customer: Customer
    phone_number_id: Id | None = None
    sip_trunk_id: Id | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_assistant(self) -> CallCreate:
        if (self.assistant_id is None) == (self.assistant is None):
            raise ValueError("give exactly one of assistant_id or assistant")
        return self


class InjectContext(Body):
    type: Literal["inject-context"]
    content: Annotated[str, Field(min_length=1, max_length=20000)]
    trigger_response: bool = False


class Say(Body):
    type: Literal["say"]
    content: Annotated[str, Field(min_length=1, max_length=5000)]
    end_after: bool = False


class EndCall(Body):
    type: Literal["end-call"]
    message: Annotated[str, Field(max_length=5000)] | None = None


class Transfer(Body):
    type: Literal["transfer"]
    destination: Destination
    message: Annotated[str, Field(max_length=5000)] | None = None


Command = Annotated[InjectContext | Say | EndCall | Transfer, Field(discriminator="type")]


class ControlRequest(RootModel[Command]):
    """One call-control command; its `type` decides the other fields."""


class ControlResult(Out):
    success: bool
    message: str


class CallOut(Out):
    id: str
    type: str
    status: str
    ended_reason: str | None
    assistant_id: str | None
    phone_number_id: str | None
    caller_phone: str | None
    agent_phone: str | None
    started_at: str | None
    ended_at: str | None
    duration_seconds: float | None
    cost: float | None
    messages: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    summary: str | None
    analysis: dict[str, Any] | None
    recording_url: str | None
    latency: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: str
    node: str | None = None  # the node that carried the call, when several share one store


class CallEnvelope(Out):
    call: CallOut


class CallList(Out):
    calls: list[CallOut]
    pagination: Pagination


class UsageQuery(Query):
    start_date: IsoDateTime | None = None
    end_date: IsoDateTime | None = None


class UsageRow(Out):
    id: str
    call_id: str
    duration_sec: float
    created_at: str
    number_id: str | None


class UsageSummary(Out):
    total_seconds: float
    total_minutes: float
    total_cost: float


class UsageOut(Out):
    usage: list[UsageRow]
    summary: UsageSummary


class DeliveryQuery(PageQuery):
    call_id: Id | None = None
    event: Literal["assistant-request", "tool-calls", "status-update", "end-of-call-report", "transcript",
                   "notification-email"] | None = None
    status: Literal["pending", "succeeded", "failed", "disabled"] | None = None


class DeliveryOut(Out):
    id: str
    event: str
    status: str
    url: str
    call_id: str | None
    assistant_id: str | None
    attempts: list[dict[str, Any]]
    created_at: str


class DeliveryEnvelope(Out):
    delivery: DeliveryOut


class DeliveryList(Out):
    deliveries: list[DeliveryOut]
    pagination: Pagination


