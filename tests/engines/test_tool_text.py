from voicedock.engines.base import ToolCall
from voicedock.engines.tool_text import ToolTextFilter, parse_tool_calls


def test_inline_tool_call_is_hidden_from_speech_and_parsed():
    f = ToolTextFilter()
    spoken = "".join(
        f.feed(t)
        for t in ["Sure. <", "tool_", 'call>\n{"name": "book", "arguments": ', '{"day": "2025-06-03"}}\n</tool_call>']
    )
    spoken += f.flush()
    assert spoken == "Sure. "
    assert f.tool_calls() == [ToolCall(name="book", arguments={"day": "2025-06-03"}, id="call_0")]


def test_a_lone_angle_bracket_is_spoken_at_the_end():
    f = ToolTextFilter()
    assert f.feed("3 <") == "3 "
    assert f.flush() == "<"
    assert f.tool_calls() == []


def test_doubled_braces_from_a_buggy_template_are_accepted_and_garbage_skipped():
    text = '<tool_call>{{"name": "hangup", "arguments": {}}}</tool_call><tool_call>{not json</tool_call>'
    assert parse_tool_calls(text) == [ToolCall(name="hangup", arguments={}, id="call_0")]


def test_a_bare_json_reply_is_a_call_and_never_spoken():
    f = ToolTextFilter()
    parts = ['{"name": "transfer_call", ', '"arguments": {"reason": "human"}}']
    assert "".join(f.feed(p) for p in parts) + f.flush() == ""
    assert f.tool_calls() == [ToolCall(name="transfer_call", arguments={"reason": "human"}, id="call_0")]


def test_a_fenced_json_call_is_parsed():
    text = '```json\n{"name": "book", "arguments": "{\\"day\\": \\"friday\\"}"}\n```'
    assert parse_tool_calls(text) == [ToolCall(name="book", arguments={"day": "friday"}, id="call_0")]


def test_json_that_is_no_call_is_spoken_at_the_end():
    f = ToolTextFilter()
    assert f.feed("{not a call}") == ""
    assert f.flush() == "{not a call}"
    assert f.tool_calls() == []
