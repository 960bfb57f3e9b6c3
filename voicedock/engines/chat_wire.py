"""The pure parts of OpenAI's chat-completions wire format: server-sent events, JSON pulled out of
free text, which failures are worth a retry, and keeping the key out of anything that is logged.

Kept apart from the HTTP code so each rule is tested with plain strings and no server.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from voicedock.engines.base import EngineError

OPENAI_URL = "https://api.openai.com/v1"
DONE = "[DONE]"
_KEYLIKE = re.compile(r"\b(?:sk|key|gsk|xai)[-_][A-Za-z0-9_\-*.]{6,}")


class SseDecoder:
    """Bytes off the socket → the `data:` payload of each complete event, in order.

    Events may be split across reads at any byte (even inside a UTF-8 character) and lines may end
    in CRLF; comments (`: keep-alive`) and fields other than `data` are skipped.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        self._buffer += chunk
        events: list[str] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                return events
            raw, self._buffer = self._buffer[:end], self._buffer[end + 1:]
            line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
            elif line.startswith("data:"):
                self._data.append(line[5:].removeprefix(" "))

    def close(self) -> list[str]:
        """A stream that ends without the final blank line still delivers its last event."""
        events = self.feed(b"\n\n") if self._buffer or self._data else []
        return events


def chat_url(base_url: str) -> str:
    """`…/v1` + `/chat/completions`; a bare `http://host:port` gets the `/v1` every server serves."""
    base = base_url.rstrip("/")
    if urlsplit(base).path in ("", "/"):
        base += "/v1"
    return base + "/chat/completions"


def where(url: str) -> str:
    """Scheme, host and path of a URL for logs: never its user info or query, where keys may hide."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def scrub(text: str, secret: str | None) -> str:
    """The text without the key, nor anything shaped like one (servers echo a masked key in errors)."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)


def status_error(status: int, body: str, secret: str | None) -> EngineError:
    """4xx other than 408 and 429 will not get better by asking again; the body is cut short."""
    retryable = status in (408, 409, 429) or status >= 500
    detail = scrub(" ".join(body.split())[:200], secret)
    return EngineError(f"llm_http_{status}", f"LLM server answered {status}: {detail}", retryable=retryable)


def rejects_response_format(status: int, body: str) -> bool:
    """The server refused the request's `response_format` (llama-cpp-python's server says so with 500)."""
    return status in (400, 422) or (status >= 500 and "response_format" in body)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model's free text: bare, in a code fence, or after a sentence."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def json_instruction(schema: dict[str, Any]) -> dict[str, str]:
    """What a server without structured output is told instead: the schema, and JSON only."""
    return {"role": "system", "content": "Answer with one JSON object only, no other text. It must match "
                                         f"this JSON Schema: {json.dumps(schema, separators=(',', ':'))}"}
