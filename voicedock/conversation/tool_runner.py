"""Running a customer's function tool: a protocol for the session, and the webhook implementation.

The session depends only on `ToolRunner`, so tests script results, timeouts and errors, and the
server plugs in `WebhookToolRunner` (the signed `tool-calls` request with its 10 s deadline).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from voicedock.webhooks.client import WebhookClient
from voicedock.webhooks.payloads import ToolCall, tool_calls
from voicedock.webhooks.replies import ReplyKind

from .base import CallInfo

TOOL_TIMEOUT_SECONDS = 10.0


class ToolError(Exception):
    """The tool ran but failed, or its server gave nothing usable; the message is safe to log."""


class ToolRunner(Protocol):
    async def __call__(
        self, info: CallInfo, tool: Mapping[str, Any], call_id: str, arguments: Mapping[str, Any],
        sources: Mapping[str, Any] | None = None,
    ) -> Any:
        """The tool's result (any JSON value); raises ToolError, or times out past the deadline.

        `sources` says where each argument came from, for the receiver to see."""


class NoToolRunner:
    """For sessions built without a runner: every function tool fails politely."""

    async def __call__(
        self, info: CallInfo, tool: Mapping[str, Any], call_id: str, arguments: Mapping[str, Any],
        sources: Mapping[str, Any] | None = None,
    ) -> Any:
        raise ToolError("no tool runner is configured")


class WebhookToolRunner:
    """Sends one `tool-calls` webhook per call and unwraps the receiver's reply."""

    def __init__(self, client: WebhookClient) -> None:
        self.client = client

    async def __call__(
        self, info: CallInfo, tool: Mapping[str, Any], call_id: str, arguments: Mapping[str, Any],
        sources: Mapping[str, Any] | None = None,
    ) -> Any:
        name = str(tool.get("name") or (tool.get("function") or {}).get("name") or "")
        payload = tool_calls(info.context(), [ToolCall(call_id, name, dict(arguments), sources)])
        reply = await self.client.request_tool_calls(
            assistant_config=info.assistant.document,
            assistant_id=info.assistant_id,
            call_id=info.call_id,
            payload=payload,
        )
        if reply.kind in (ReplyKind.NO_REPLY, ReplyKind.MALFORMED):
            raise ToolError(reply.detail or "no usable reply from the tool server")
        if reply.kind is ReplyKind.ERROR:
            raise ToolError(reply.error or "the tool server reported an error")
        result = reply.result_for(call_id)
        if isinstance(result, Mapping) and set(result) == {"error"}:
            raise ToolError(str(result["error"]))
        return result
