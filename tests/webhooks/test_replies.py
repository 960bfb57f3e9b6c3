from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicedock.webhooks.replies import ReplyKind, parse_assistant_reply, parse_tool_calls_reply


@pytest.mark.parametrize("body", [b"", b"  ", None, b"{}", b'{"received": true}'])
def test_assistant_reply_keeps_the_configured_assistant(body: bytes | None) -> None:
    reply = parse_assistant_reply(body)
    assert reply.kind is ReplyKind.KEEP and reply.uses_configured_assistant


def test_assistant_reply_one_off_config() -> None:
    reply = parse_assistant_reply(b'{"assistant": {"system_prompt": "Be brief"}}')
    assert reply.kind is ReplyKind.ASSISTANT
    assert reply.assistant == {"system_prompt": "Be brief"}


@pytest.mark.parametrize(
    "body",
    [
        {"assistant_id": "asst_1", "assistant_override": {"first_message": "Hi"}},
        {"assistantId": "asst_1", "assistantOverrides": {"first_message": "Hi"}},
    ],
)
def test_assistant_reply_override(body: dict[str, object]) -> None:
    reply = parse_assistant_reply(json.dumps(body))
    assert reply.kind is ReplyKind.OVERRIDE
    assert reply.assistant_id == "asst_1" and reply.assistant_override == {"first_message": "Hi"}


def test_assistant_reply_override_of_configured_assistant() -> None:
    reply = parse_assistant_reply('{"assistant_override": {"language": "nl"}}')
    assert reply.kind is ReplyKind.OVERRIDE and reply.assistant_id is None
    assert reply.assistant_override == {"language": "nl"}


def test_assistant_reply_error_is_spoken() -> None:
    reply = parse_assistant_reply('{"error": "We are closed"}')
    assert reply.kind is ReplyKind.ERROR and reply.error == "We are closed"
    assert not reply.uses_configured_assistant


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        b"[1,2]",
        b'"text"',
        b'{"assistant": "x"}',
        b'{"error": 5}',
        b'{"assistant_id": 7}',
        b'{"assistant_override": []}',
        b"\xff\xfe",
    ],
)
def test_assistant_reply_malformed(body: bytes) -> None:
    reply = parse_assistant_reply(body)
    assert reply.kind is ReplyKind.MALFORMED and reply.detail
    assert reply.uses_configured_assistant


def test_tool_results_with_either_spelling() -> None:
    reply = parse_tool_calls_reply(
        '{"results": [{"tool_call_id": "c1", "result": "ok"}, {"toolCallId": "c2", "result": {"n": 2}}]}'
    )
    assert reply.kind is ReplyKind.RESULTS
    assert reply.result_for("c1") == "ok" and reply.result_for("c2") == {"n": 2}
    assert reply.result_for("c3") is None


def test_tool_single_result_and_error() -> None:
    single = parse_tool_calls_reply('{"result": "Booked for 3 pm"}')
    assert single.kind is ReplyKind.RESULT and single.result_for("any") == "Booked for 3 pm"
    error = parse_tool_calls_reply('{"error": "calendar down"}')
    assert error.kind is ReplyKind.ERROR and error.result_for("c1") == {"error": "calendar down"}


def test_tool_result_entry_may_carry_an_error() -> None:
    reply = parse_tool_calls_reply('{"results": [{"tool_call_id": "c1", "error": "no slot"}]}')
    assert reply.result_for("c1") == {"error": "no slot"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage",
        b"{}",
        b'{"results": {}}',
        b'{"results": [1]}',
        b'{"results": [{"result": 1}]}',
        b'{"results": [{"tool_call_id": "c1"}]}',
        b'{"error": ""}',
        b"null",
    ],
)
def test_tool_reply_malformed(body: bytes) -> None:
    reply = parse_tool_calls_reply(body)
    assert reply.kind is ReplyKind.MALFORMED and reply.detail
    assert reply.result_for("c1") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(value=json_values)
def test_parsers_never_raise_on_any_json(value: object) -> None:
    text = json.dumps(value)
    parse_assistant_reply(text)
    parse_tool_calls_reply(text)
    for key in ("assistant", "assistant_id", "assistant_override", "error", "results", "result"):
        parse_assistant_reply(json.dumps({key: value}))
        parse_tool_calls_reply(json.dumps({key: value}))


@given(raw=st.binary())
def test_parsers_never_raise_on_any_bytes(raw: bytes) -> None:
    parse_assistant_reply(raw)
    parse_tool_calls_reply(raw)
