"""The parts of an assistant configuration a voice session acts on, read once at call start.

Assistants arrive as stored JSON in either snake_case or the seed's camelCase, with most fields
optional; reading them here keeps defaults in one place and the session free of `.get` chains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SPEAKS_FIRST = "assistant-speaks-first"
WAITS_FOR_USER = "assistant-waits-for-user"


def pick(data: Mapping[str, Any] | None, snake: str, default: Any = None) -> Any:
    """`data[snake]`, else its camelCase spelling, else `default` (None counts as absent)."""
    if not data:
        return default
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), snake)
    for key in (snake, camel):
        if data.get(key) is not None:
            return data[key]
    return default


@dataclass(frozen=True)
class VoiceSettings:
    system_prompt: str = "You are a helpful phone assistant."
    business_name: str | None = None
    first_message: str | None = None
    first_message_mode: str = SPEAKS_FIRST
    wait_seconds: float = 0.4
    barge_in_words: int = 0
    barge_in_voice_seconds: float = 0.2
    silence_handling: bool = False
    silence_timeout_seconds: float = 8.0
    max_duration_seconds: float = 300.0
    temperature: float = 0.0
    max_tokens: int = 150
    tools: tuple[Mapping[str, Any], ...] = ()

    @property
    def greeting(self) -> str | None:
        """The first message, when the assistant speaks it before the caller says anything."""
        return self.first_message if self.first_message_mode == SPEAKS_FIRST else None

    @classmethod
    def from_assistant(cls, assistant: Mapping[str, Any]) -> VoiceSettings:
        llm = pick(assistant, "llm_config", {}) or {}
        start = pick(assistant, "start_speaking_plan", {}) or {}
        stop = pick(assistant, "stop_speaking_plan", {}) or {}
        tools = pick(llm, "tools") or pick(assistant, "tools") or []
        return cls(
            system_prompt=str(pick(assistant, "system_prompt", cls.system_prompt)),
            business_name=pick(assistant, "business_name"),
            first_message=pick(assistant, "first_message") or None,
            first_message_mode=str(pick(assistant, "first_message_mode", SPEAKS_FIRST)),
            wait_seconds=float(pick(start, "wait_seconds", cls.wait_seconds)),
            barge_in_words=int(pick(stop, "num_words", cls.barge_in_words)),
            barge_in_voice_seconds=float(pick(stop, "voice_seconds", cls.barge_in_voice_seconds)),
            silence_handling=bool(pick(assistant, "autonomous_silence_handling", False)),
            silence_timeout_seconds=float(pick(assistant, "silence_timeout_seconds", cls.silence_timeout_seconds)),
            max_duration_seconds=float(pick(assistant, "max_duration_seconds", cls.max_duration_seconds)),
            temperature=float(pick(llm, "temperature", cls.temperature)),
            max_tokens=int(pick(llm, "max_tokens", cls.max_tokens)),
            tools=tuple(t for t in tools if isinstance(t, Mapping)),
        )
