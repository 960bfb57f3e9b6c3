"""Request-response webhooks: deadlines, reply shapes and the delivery log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.store.errors import Conflict
from voicedock.webhooks import WebhookClient, list_deliveries, requeue
from voicedock.webhooks import payloads as p
from voicedock.webhooks.replies import ReplyKind

from .helpers import add_assistant, wait_for_db

CTX = p.MessageContext(call=p.CallRef("call_1", "inbound_phone_call", "ringing"), assistant={"name": "A"})
TOOLS = p.tool_calls(CTX, [p.ToolCall("c1", "book", {"day": "mon"}), p.ToolCall("c2", "lookup")])


def reply_with(payload: Any, status: int = 200) -> Any:
    async def handler(request: web.Request, n: int) -> web.StreamResponse:
        if isinstance(payload, bytes):
            return web.Response(status=status, body=payload)
        return web.json_response(payload, status=status)

    return handler


@pytest.fixture
async def client(db: Database, box: SecretBox) -> AsyncIterator[WebhookClient]:
    async with WebhookClient(db, box) as c:
        yield c


async def setup(db: Database, box: SecretBox, make_receiver: Any, events: list[str], **extra: Any) -> Any:
    receiver, server = await make_receiver()
    config = {"webhook_url": str(server.make_url("/hook")), "webhook_events": events, **extra}
    return receiver, server, config, add_assistant(db, box, config)


async def test_assistant_request_override_is_parsed_and_logged(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["assistant-request"])
    receiver.routes["/hook"] = reply_with({"assistant_id": "asst_2", "assistant_override": {"language": "nl"}})
    reply = await client.request_assistant(
        assistant_config=config, assistant_id=assistant_id, call_id="call_1", payload=p.assistant_request(CTX)
    )
    assert reply.kind is ReplyKind.OVERRIDE and reply.assistant_override == {"language": "nl"}
    assert receiver.bad_signatures == 0
    assert receiver.received[0].headers["X-Webhook-Event"] == "assistant-request"
    await wait_for_db(db, lambda d: list_deliveries(d, call_id="call_1")[1] == 1)
    [row], _ = await db.read(lambda d: list_deliveries(d, call_id="call_1"))
    assert row["status"] == "succeeded" and row["mode"] == "request" and row["attempts"][0]["status_code"] == 200
    assert row["id"] == receiver.received[0].event_id
    with pytest.raises(Conflict):
        await db.write(lambda d: requeue(d, row["id"]))


async def test_not_subscribed_sends_nothing(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["end-of-call-report"])
    reply = await client.request_assistant(
        assistant_config=config, assistant_id=assistant_id, call_id="call_1", payload=p.assistant_request(CTX)
    )
    assert reply.kind is ReplyKind.NO_REPLY and receiver.received == []


async def test_garbage_and_errors_never_raise_and_are_not_retried(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["assistant-request", "tool-calls"])
    receiver.routes["/hook"] = reply_with(b"<html>Internal error</html>")
    args = {"assistant_config": config, "assistant_id": assistant_id, "call_id": "call_1"}
    assert (await client.request_assistant(**args, payload=p.assistant_request(CTX))).kind is ReplyKind.MALFORMED
    assert (await client.request_tool_calls(**args, payload=TOOLS)).kind is ReplyKind.MALFORMED
    receiver.routes["/hook"] = reply_with({"error": "boom"}, status=500)
    failed = await client.request_tool_calls(**args, payload=TOOLS)
    assert failed.kind is ReplyKind.NO_REPLY and failed.detail == "HTTP 500"
    assert len(receiver.received) == 3


async def test_tool_calls_results_and_per_tool_servers(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    tool_receiver, tool_server = await make_receiver()
    tool_receiver.routes["/book"] = reply_with({"result": "booked"})
    tools = [{"type": "function", "name": "book", "url": str(tool_server.make_url("/book"))}]
    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["tool-calls"], llm_config={"tools": tools})
    receiver.routes["/hook"] = reply_with({"results": [{"toolCallId": "c2", "result": {"found": True}}]})
    reply = await client.request_tool_calls(
        assistant_config=config, assistant_id=assistant_id, call_id="call_1", payload=TOOLS
    )
    assert reply.kind is ReplyKind.RESULTS
    assert reply.result_for("c1") == "booked" and reply.result_for("c2") == {"found": True}
    assert [c["id"] for c in tool_receiver.received[0].json["message"]["tool_call_list"]] == ["c1"]
    assert [c["id"] for c in receiver.received[0].json["message"]["tool_call_list"]] == ["c2"]


async def test_410_on_a_request_disables_the_endpoint(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["assistant-request"])
    receiver.routes["/hook"] = reply_with({}, status=410)
    args = {"assistant_config": config, "assistant_id": assistant_id, "call_id": "call_1"}
    assert (await client.request_assistant(**args, payload=p.assistant_request(CTX))).kind is ReplyKind.NO_REPLY
    await client.aclose()  # the delivery log is written in the background
    assert (await client.request_assistant(**args, payload=p.assistant_request(CTX))).kind is ReplyKind.NO_REPLY
    assert len(receiver.received) == 1


async def test_deadlines_are_five_and_ten_seconds(
    db: Database, box: SecretBox, make_receiver: Any, client: WebhookClient
) -> None:
    release = asyncio.Event()

    async def sleepy(request: web.Request, n: int) -> web.StreamResponse:
        await asyncio.wait_for(release.wait(), 15)
        return web.json_response({"result": "too late"})

    receiver, _, config, assistant_id = await setup(db, box, make_receiver, ["assistant-request", "tool-calls"])
    receiver.routes["/hook"] = sleepy
    args = {"assistant_config": config, "assistant_id": assistant_id, "call_id": "call_1"}

    async def timed(coro: Any) -> tuple[Any, float]:
        started = time.monotonic()
        result = await coro
        return result, time.monotonic() - started

    (assistant, t_assistant), (tools, t_tools) = await asyncio.gather(
        timed(client.request_assistant(**args, payload=p.assistant_request(CTX))),
        timed(client.request_tool_calls(**args, payload=TOOLS)),
    )
    release.set()
    assert assistant.kind is ReplyKind.NO_REPLY and "timed out" in (assistant.detail or "")
    assert tools.kind is ReplyKind.NO_REPLY and "timed out" in (tools.detail or "")
    assert 4.9 <= t_assistant < 6.5
    assert 9.9 <= t_tools < 11.5
    assert len(receiver.received) == 2  # one attempt each, no retry after the deadline
    await client.aclose()
    rows, _ = await db.read(lambda d: list_deliveries(d, call_id="call_1"))
    assert {r["status"] for r in rows} == {"failed"} and all("timed out" in r["last_error"] for r in rows)
