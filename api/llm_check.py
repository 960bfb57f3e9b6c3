"""Refuse an assistant whose LLM provider no call could use (no BYOK key for it): accepted, every
call would answer with an apology while the customer believes the provider works."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

from voicedock.engines.llm_providers import LLMSettings, llm_problem
from voicedock.store import records

from .context import read
from .errors import ApiError


def check_llm(assistant: LLMSettings, configured: Collection[str]) -> None:
    """Raise the 422 naming what to configure; inside a transaction or out of one."""
    problem = llm_problem(assistant, configured)
    if problem is not None:
        param, message = problem
        raise ApiError(422, "provider_not_configured", message, param)


async def check_llm_now(request: web.Request, assistant: LLMSettings) -> None:
    if assistant.llm_config.provider != "local":
        check_llm(assistant, await read(request, records.list_byok))
