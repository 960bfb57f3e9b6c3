"""The chat-completions wire rules, with plain strings: events split anywhere, JSON inside prose, keys kept
out of messages."""

from __future__ import annotations

from voicedock.engines.chat_wire import SseDecoder, chat_url, extract_json_object, scrub, status_error, where

STREAM = (b'data: {"choices": [{"delta": {"content": "Hello"}}]}\r\n\r\n'
          b": keep-alive\n\n"
          b'event: message\ndata: {"choices": [{"delta": {"content": " caf\xc3\xa9"}}]}\n\n'
          b"data: [DONE]\n\n")


def test_events_split_at_every_byte_come_out_whole_and_in_order() -> None:
    decoder = SseDecoder()
    events = [e for i in range(len(STREAM)) for e in decoder.feed(STREAM[i:i + 1])]
    assert events == ['{"choices": [{"delta": {"content": "Hello"}}]}',
                      '{"choices": [{"delta": {"content": " café"}}]}', "[DONE]"]


def test_a_last_event_without_its_blank_line_is_not_lost() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: one\n\ndata: two") == ["one"]
    assert decoder.close() == ["two"]


def test_base_urls_with_and_without_v1_reach_chat_completions() -> None:
    assert chat_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1/chat/completions"
    assert chat_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/chat/completions"
    assert chat_url("https://llm.example.com/openai/v1") == "https://llm.example.com/openai/v1/chat/completions"


def test_json_is_found_in_prose_and_code_fences() -> None:
    assert extract_json_object('Sure! Here it is: {"name": "Ana"} Anything else?') == {"name": "Ana"}
    assert extract_json_object('```json\n{"a": {"b": [1, 2]}}\n```') == {"a": {"b": [1, 2]}}
    assert extract_json_object("{not json} then {\"ok\": true}") == {"ok": True}
    assert extract_json_object("no object here [1, 2]") is None


def test_keys_never_survive_into_error_messages_or_logged_urls() -> None:
    key = "sk-proj-abcdefghijklmnop1234"
    err = status_error(401, f'{{"error": "Incorrect API key provided: {key}, or sk-proj-****1234"}}', key)
    assert key not in str(err) and "sk-proj-****" not in str(err) and "401" in str(err)
    assert not err.retryable
    assert status_error(503, "busy", key).retryable and status_error(429, "slow down", key).retryable
    assert scrub(f"token {key}", None) == "token [redacted]"
    assert where("https://user:pw@llm.example.com:8443/v1/chat/completions?key=x") == \
        "https://llm.example.com:8443/v1/chat/completions"
