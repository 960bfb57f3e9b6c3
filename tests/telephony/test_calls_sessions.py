"""The voice session on real calls through Asterisk, with scripted engines: what a customer's tool
server receives, and what the caller hears when the session ends the call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.commands import command
from tests.webhooks.helpers import Receiver, verify_webhook_signature
from voicedock.conversation.tool_runner import WebhookToolRunner
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines
from voicedock.schemas.calls import CallCreate
from voicedock.store import Database, records
from voicedock_ari.controller import CallController
from voicedock_bench.ports import free_port

from .audio import dominant_hz, read_wav, tone, write_wav
from .callers import listen
from .harness import add_assistant, add_number, start_live_call, wait_for

pytestmark = pytest.mark.asterisk
SECRET = "test-webhook-secret"  # what harness.add_assistant encrypts for the assistant
ORDER_TOOL = {
    "type": "function", "name": "check_order", "description": "Look up the status of an order.",
    "parameters": {"type": "object", "properties": {"order_number": {"type": "string"}},
                   "required": ["order_number"]},
}
QUESTION = "What is the status of order 4 7 1 1?"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A customer's tool server on loopback that answers every tool call with a shipped status."""
    async def shipped(request: web.Request, n: int) -> web.StreamResponse:
        calls = (await request.json())["message"]["tool_call_list"]
        return web.json_response({"results": [{"tool_call_id": c["id"], "result": {"status": "shipped"}}
                                              for c in calls]})

    hooks = Receiver(routes={"/tools": shipped})
    server = TestServer(hooks.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield hooks, f"http://127.0.0.1:{server.port}/tools"
    finally:
        await server.close()


def tool_session(controller: CallController) -> FakeTTS:
    """The voice session with scripted engines: the caller asks about an order, the tool runs and its
    result is said in code (the model's reply is never asked for)."""
    tts = FakeTTS()
    llm = FakeLLM(replies=["Your order is lost."], json_replies=[{"order_number": "4711"}])  # never heard
    engines = fake_engines(stt=FakeSTT([QUESTION]), llm=llm, tts=tts)
    controller.session_factory = voice_session_factory(engines, tool_runner=WebhookToolRunner(controller.webhooks))
    return tts


def tool_calls(hooks: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body)["message"] for r in hooks.received if r.headers["X-Webhook-Event"] == "tool-calls"]


async def test_a_function_tool_reaches_its_server_and_the_caller_hears_the_result(
    controller: CallController, store: Database, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    tts = tool_session(controller)
    question = np.concatenate([np.zeros(8000, np.int16), tone(440.0, 1.5), np.zeros(8000 * 12, np.int16)])
    async with start_live_call(controller, store, tmp_path, question, seconds=9, answered=False,
                               first_message_mode="assistant-waits-for-user", webhook_events=["tool-calls"],
                               llm_config={"tools": [{**ORDER_TOOL, "url": url}]}) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 20)
        done = await placed.ended()
    caller, row = placed.caller, done

    [record] = done["tool_calls"]
    assert record["status"] == "ok", record
    assert record["arguments"] == {"order_number": "4711"} and record["result"] == {"status": "shipped"}
    [message] = tool_calls(hooks)
    request = next(r for r in hooks.received if r.headers["X-Webhook-Event"] == "tool-calls")
    assert verify_webhook_signature(request.body, request.headers["X-Webhook-Timestamp"],
                                    request.headers["X-Webhook-Signature"], SECRET)
    assert message["tool_call_list"][0]["function"] == {"name": "check_order", "arguments": {"order_number": "4711"}}
    assert message["tool_call_list"][0]["argument_sources"]["order_number"]["from"] == "caller"
    assert message["call"]["id"] == row["id"]
    said = [m["content"] for m in done["messages"] if m["role"] == "assistant"]
    assert said == ["Status: shipped."] and " ".join(tts.spoken) == "Status: shipped."  # the result, said in code
    heard, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    assert abs(dominant_hz(heard[int(abs(heard).argmax()):][: rate // 2], rate) - 440) < 20, "no answer was heard"


async def test_a_caller_who_never_gives_a_name_is_never_booked_on_a_real_call(
    controller: CallController, store: Database, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    book = {"type": "function", "name": "book_appointment", "url": url, "parameters": {
        "type": "object", "required": ["date", "time", "name"], "properties": {
            "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
            "name": {"type": "string"}}}}
    llm = FakeLLM(replies=["Okay."], json_replies=[
        {"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "John Doe"}, {"name": "John Doe"}])
    said = ["Book me in for Friday at 3", "Just book it, please"]
    controller.session_factory = voice_session_factory(
        fake_engines(stt=FakeSTT(said), llm=llm), tool_runner=WebhookToolRunner(controller.webhooks))
    speech = np.concatenate([np.zeros(8000, np.int16), tone(440.0, 1.2), np.zeros(8000 * 4, np.int16),
                             tone(440.0, 1.2), np.zeros(8000 * 6, np.int16)])
    async with start_live_call(controller, store, tmp_path, speech, seconds=12, answered=False,
                               first_message_mode="assistant-waits-for-user", webhook_events=["tool-calls"],
                               llm_config={"tools": [book]}) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 20)
        done = await placed.ended()
    assert tool_calls(hooks) == [], "a booking reached the customer's server"
    assert [c["status"] for c in done["tool_calls"]] == ["needs_arguments", "needs_arguments"]
    assert all("John Doe" not in json.dumps(c) for c in done["tool_calls"])
    assert [m["content"] for m in done["messages"] if m["role"] == "assistant"][:2] == [
        "May I have your name, please?", "May I have your name, please?"]


async def test_an_outbound_calls_tool_payload_names_the_agent_number_and_the_customer(
    controller: CallController, store: Database, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    tool_session(controller)
    assistant_id = add_assistant(store, box=controller.box, first_message_mode="assistant-waits-for-user",
                                 llm_config={"tools": [{**ORDER_TOOL, "url": url}]}, webhook_events=["tool-calls"])
    number_id = add_number(store, assistant_id, phone="+15550123")
    port = free_port("udp")
    audio = tmp_path / "callee.wav"
    write_wav(audio, np.concatenate([np.zeros(8000, np.int16), tone(440.0, 1.5), np.zeros(8000 * 12, np.int16)]))
    callee = await listen(tmp_path / "callee", audio, port, seconds=12)
    await asyncio.sleep(0.5)
    customer = f"sip:callee@127.0.0.1:{port}"
    try:
        call_id = await controller.start_outbound(CallCreate.model_validate(
            {"assistant_id": assistant_id, "phone_number_id": number_id, "customer": {"number": customer}}))
        await wait_for(lambda: tool_calls(hooks), 15, "the tool-calls request")
        await controller.control(call_id, command({"type": "end-call"}))
    finally:
        await callee.stop()
    [message] = tool_calls(hooks)
    assert message["call"]["type"] == "outbound_phone_call"
    assert message["phone_number"]["number"] == "+15550123", "phone_number is the assistant's own number"
    assert message["customer"] == {"number": customer}
    assert store.read_sync(lambda d: records.get_number(d, number_id))["phone_number"] == "+15550123"


async def test_an_end_call_goodbye_is_heard_whole_before_the_line_drops(
    controller: CallController, store: Database, tmp_path: Path
) -> None:
    tts = FakeTTS(rate=8000, seconds_per_char=0.05, delay=0.3)  # synthesis takes a while, like a real voice
    controller.session_factory = voice_session_factory(fake_engines(tts=tts))
    goodbye = "Thank you for calling Acme Dental, we will see you on Tuesday, goodbye."
    async with start_live_call(controller, store, tmp_path, np.zeros(8000 * 14, np.int16),
                               first_message_mode="assistant-waits-for-user") as placed:
        reply = await controller.control(placed.call_id, command({"type": "end-call", "message": goodbye}))
        assert reply == "call ending"
        done = await placed.ended(15)
        await asyncio.wait_for(placed.caller.process.wait(), 10)
    caller = placed.caller
    assert done["ended_reason"] == "assistant-ended-call"
    assert [m["content"] for m in done["messages"] if m["role"] == "assistant"] == [goodbye]
    heard, rate = read_wav(caller.heard_wav)  # type: ignore[arg-type]
    windows = heard[: len(heard) // 160 * 160].reshape(-1, 160).astype(np.float64)
    loud_seconds = float((np.sqrt((windows**2).mean(axis=1)) > 1000).sum()) * 0.02
    spoken_seconds = sum(len(s) for s in tts.spoken) * 0.05
    assert loud_seconds >= spoken_seconds - 0.3, f"heard {loud_seconds:.2f} s of a {spoken_seconds:.2f} s goodbye"
