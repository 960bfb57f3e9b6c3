"""The webhook tool runner: one signed `tool-calls` request per call, its reply unwrapped for the LLM."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from voicedock.assistant import CallAssistant
from voicedock.conversation.base import CallInfo
from voicedock.conversation.tool_runner import NoToolRunner, ToolError, WebhookToolRunner
from voicedock.webhooks.replies import ReplyKind, ToolCallsReply

INFO = CallInfo(
    call_id="call_1",
    direction="inbound",
    assistant=CallAssistant.parse({"system_prompt": "x", "webhook_url": "https://x"}),
    assistant_id="asst_1",
    agent_phone="+31200000000",
    customer_phone="+31600000001",
)
TOOL = {"type": "function", "name": "check_availability", "parameters": {"type": "object"}}


class FakeClient:
    def __init__(self, reply: ToolCallsReply) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []

    async def request_tool_calls(self, **kwargs: Any) -> ToolCallsReply:
        self.requests.append(kwargs)
        return self.reply


def _run(reply: ToolCallsReply, info: CallInfo = INFO) -> tuple[Any, FakeClient]:
    client = FakeClient(reply)
    runner = WebhookToolRunner(client)  # type: ignore[arg-type]
    return asyncio.run(runner(info, TOOL, "tc_1", {"date": "2025-06-04"})), client


def test_the_request_carries_the_call_and_the_tool_call() -> None:
    result, client = _run(ToolCallsReply(ReplyKind.RESULTS, results={"tc_1": {"free": ["09:00"]}}))
    assert result == {"free": ["09:00"]}
    [request] = client.requests
    assert request["assistant_id"] == "asst_1" and request["call_id"] == "call_1"
    message = request["payload"]["message"]
    assert message["type"] == "tool-calls"
    assert message["call"] == {"id": "call_1", "type": "inbound_phone_call", "status": "in-progress"}
    assert message["customer"] == {"number": "+31600000001"}
    assert message["phone_number"]["number"] == "+31200000000"
    assert message["tool_call_list"] == [
        {
            "id": "tc_1",
            "type": "function",
            "function": {"name": "check_availability", "arguments": {"date": "2025-06-04"}},
        }
    ]


def test_an_outbound_call_names_the_assistant_number_and_the_customer_the_right_way_round() -> None:
    outbound = CallInfo(call_id="call_2", direction="outbound", assistant=INFO.assistant, assistant_id="asst_1",
                        agent_phone="+31200000000", customer_phone="+31600000009")
    _, client = _run(ToolCallsReply(ReplyKind.RESULT, result="ok"), outbound)
    message = client.requests[0]["payload"]["message"]
    assert message["call"]["type"] == "outbound_phone_call"
    assert message["phone_number"]["number"] == "+31200000000"
    assert message["customer"] == {"number": "+31600000009"}


def test_a_single_result_reply_is_accepted() -> None:
    assert _run(ToolCallsReply(ReplyKind.RESULT, result="ok"))[0] == "ok"


@pytest.mark.parametrize(
    "reply",
    [
        ToolCallsReply.no_reply("timeout"),
        ToolCallsReply(ReplyKind.MALFORMED, detail="bad"),
        ToolCallsReply(ReplyKind.ERROR, error="no slots"),
        ToolCallsReply(ReplyKind.RESULTS, results={"tc_1": {"error": "db down"}}),
    ],
)
def test_failures_raise_tool_error(reply: ToolCallsReply) -> None:
    with pytest.raises(ToolError):
        _run(reply)


def test_without_a_runner_tools_fail_politely() -> None:
    with pytest.raises(ToolError):
        asyncio.run(NoToolRunner()(INFO, TOOL, "tc_1", {}))
