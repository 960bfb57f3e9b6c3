from __future__ import annotations

import json

import pytest

from voicedock.webhooks import payloads as p

CTX = p.MessageContext(
    call=p.CallRef("call_1", "inbound_phone_call", "in-progress"),
    assistant={
        "name": "Support",
        "webhook_url": "https://example.test/hook",
        "webhook_secret": "whsec_leak",
        "llm_config": {"tools": [{"type": "function", "name": "book", "webhook_secret": "nested"}]},
    },
    phone_number=p.PhoneNumberRef("+31201234567", "Main line"),
    customer=p.CustomerRef("+31612345678"),
)


def test_envelope_has_the_common_fields() -> None:
    message = p.status_update(CTX, "in-progress", timestamp="2026-01-01T00:00:00.000Z")["message"]
    assert message["type"] == "status-update"
    assert message["timestamp"] == "2026-01-01T00:00:00.000Z"
    assert message["call"] == {"id": "call_1", "type": "inbound_phone_call", "status": "in-progress"}
    assert message["phone_number"] == {"number": "+31201234567", "name": "Main line"}
    assert message["customer"] == {"number": "+31612345678"}
    assert message["assistant"]["name"] == "Support"
    assert message["status"] == "in-progress"


def test_webhook_secret_never_leaves_the_server() -> None:
    for body in (p.assistant_request(CTX), p.transcript(CTX, "user", "hello")):
        assert "whsec_leak" not in p.dumps(body) and "nested" not in p.dumps(body)


def test_tool_calls_shape() -> None:
    body = p.tool_calls(CTX, [p.ToolCall("tc_1", "book", {"day": "monday"})])
    assert body["message"]["tool_call_list"] == [
        {"id": "tc_1", "type": "function", "function": {"name": "book", "arguments": {"day": "monday"}}}
    ]
    assert p.ToolCall.from_dict(body["message"]["tool_call_list"][0]) == p.ToolCall("tc_1", "book", {"day": "monday"})


def test_end_of_call_report_fields() -> None:
    report = p.EndOfCallReport(
        ended_reason="customer-ended-call",
        duration_seconds=42.5,
        summary="Booked",
        analysis={"success_evaluation": True},
        messages=[{"role": "user", "content": "hi"}],
        recording_url="/api/v1/calls/call_1/recording",
        cost=0.1,
    )
    message = json.loads(p.dumps(p.end_of_call_report(CTX, report)))["message"]
    for key in ("ended_reason", "duration_seconds", "summary", "analysis", "messages", "recording_url", "cost"):
        assert key in message
    assert message["duration_seconds"] == 42.5


def test_transcript_is_final_only() -> None:
    message = p.transcript(CTX, "assistant", "How can I help?")["message"]
    assert message["transcript_type"] == "final" and message["role"] == "assistant"


def test_invalid_status_and_event_type_are_refused() -> None:
    with pytest.raises(ValueError):
        p.status_update(CTX, "ringing")
    with pytest.raises(ValueError):
        CTX.envelope("call-started", {})


def test_dumps_is_stable_and_unicode_safe() -> None:
    body = p.transcript(CTX, "user", "Goedemiddag, één vraag", timestamp="t")
    assert p.dumps(body) == p.dumps(json.loads(p.dumps(body)))
    assert "één" in p.dumps(body)
