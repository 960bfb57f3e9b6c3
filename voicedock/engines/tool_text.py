"""Pull tool calls out of the text of a model that writes them inline.

With `tool_choice="auto"` llama.cpp returns calls as plain content: Qwen writes
`<tool_call>{...}</tool_call>`, and the 0.5B often just answers with the bare JSON object
(sometimes in a code fence). This filter keeps such text away from TTS while streaming and
parses it at the end; a reply that starts like JSON but is not a call is spoken after all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from voicedock.engines.base import ToolCall

OPEN = "<tool_call>"
CLOSE = "</tool_call>"
_BLOCK = re.compile(re.escape(OPEN) + r"(.*?)(?:" + re.escape(CLOSE) + r"|$)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")
_JSON_STARTS = ("{", "`", "[")


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _as_call(data: object, index: int) -> ToolCall | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    args = data.get("arguments", data.get("parameters", {}))
    if isinstance(args, str):
        args = _loads(args)
    if not isinstance(args, dict):
        return None
    return ToolCall(name=data["name"], arguments=args, id=f"call_{index}")


def _parse_json_call(raw: str) -> object:
    body = _FENCE.sub("", raw.strip())
    data = _loads(body)
    return data if data is not None else _loads(body.replace("{{", "{").replace("}}", "}"))


def parse_tool_calls(text: str) -> list[ToolCall]:
    """Every well-formed call in `text`; malformed JSON is skipped rather than guessed at."""
    blocks = _BLOCK.findall(text)
    if not blocks and text.lstrip().startswith(_JSON_STARTS):
        data = _parse_json_call(text)
        items = data if isinstance(data, list) else [data]
        return [call for i, item in enumerate(items) if (call := _as_call(item, i)) is not None]
    calls: list[ToolCall] = []
    for raw in blocks:
        call = _as_call(_parse_json_call(raw), len(calls))
        if call is not None:
            calls.append(call)
    return calls


@dataclass
class ToolTextFilter:
    """Feed streamed text; get back only what should be spoken.

    Text that might be the start of `<tool_call>` is held until it is clearly not; a reply whose
    first character opens JSON or a code fence is held to the end and spoken only if it is no call.
    """

    _held: str = ""
    _in_call: bool = False
    _json_reply: bool = False
    _started: bool = False
    raw: list[str] = field(default_factory=list)

    def feed(self, text: str) -> str:
        self.raw.append(text)
        if self._in_call or self._json_reply:
            return ""
        if not self._started and text.strip():
            self._started = True
            if text.lstrip().startswith(_JSON_STARTS):
                self._json_reply = True
                return ""
        self._held += text
        start = self._held.find(OPEN)
        if start >= 0:
            visible, self._held, self._in_call = self._held[:start], "", True
            return visible
        keep = max((n for n in range(1, len(OPEN)) if self._held.endswith(OPEN[:n])), default=0)
        visible = self._held[: len(self._held) - keep]
        self._held = self._held[len(visible) :]
        return visible

    def flush(self) -> str:
        """Text still held at the end: a lone '<', or a JSON-looking reply that was not a call."""
        if self._json_reply:
            return "" if self.tool_calls() else "".join(self.raw)
        tail, self._held = ("" if self._in_call else self._held), ""
        return tail

    def tool_calls(self) -> list[ToolCall]:
        return parse_tool_calls("".join(self.raw))
