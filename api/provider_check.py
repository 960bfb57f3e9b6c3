"""Refuse an assistant whose speech providers no call could use: a missing BYOK key or a Wyoming
provider without its `tcp://` address. Accepting it would mean every call silently falls back to
the local engines while the customer believes the provider works."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from voicedock.engines.speech_providers import SpeechSettings, speech_problem
from voicedock.store import records

from .context import read
from .errors import ApiError


def uses_remote_speech(assistant: SpeechSettings) -> bool:
    return assistant.stt_config.provider != "local" or assistant.tts_config.provider != "local"


def check_speech(assistant: SpeechSettings, configured: dict[str, Any]) -> None:
    """Raise the 422 for the first unusable provider setting; inside a transaction or out of one."""
    problem = speech_problem(assistant, configured)
    if problem is not None:
        param, message = problem
        raise ApiError(422, "provider_not_configured", message, param)


async def check_speech_now(request: web.Request, assistant: SpeechSettings) -> None:
    if uses_remote_speech(assistant):
        check_speech(assistant, await read(request, records.list_byok))
