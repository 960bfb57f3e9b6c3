"""The parts of an assistant a voice session acts on, under the names the session thinks in.

The values and their defaults come from the typed assistant (`voicedock.assistant`), whose schema is
the API's: this is a view with no defaults of its own, so a call can never disagree with the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicedock.assistant import CallAssistant


@dataclass(frozen=True)
class VoiceSettings:
    system_prompt: str
    business_name: str | None
    greeting: str | None  # the first message, when the assistant speaks first
    wait_seconds: float
    barge_in_words: int
    barge_in_voice_seconds: float
    silence_handling: bool
    silence_timeout_seconds: float
    max_duration_seconds: float
    temperature: float
    max_tokens: int
    tools: tuple[Mapping[str, Any], ...]

    @classmethod
    def from_assistant(cls, assistant: CallAssistant) -> VoiceSettings:
        return cls(
            system_prompt=assistant.system_prompt,
            business_name=assistant.business_name,
            greeting=assistant.greeting,
            wait_seconds=assistant.start_speaking_plan.wait_seconds,
            barge_in_words=assistant.stop_speaking_plan.num_words,
            barge_in_voice_seconds=assistant.stop_speaking_plan.voice_seconds,
            silence_handling=assistant.autonomous_silence_handling,
            silence_timeout_seconds=assistant.silence_timeout_seconds,
            max_duration_seconds=float(assistant.max_duration_seconds),
            temperature=assistant.llm_config.temperature,
            max_tokens=assistant.llm_config.max_tokens,
            tools=tuple(assistant.document["llm_config"]["tools"]),
        )
