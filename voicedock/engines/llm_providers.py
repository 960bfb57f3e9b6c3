"""Which LLM a call uses: the shared local model, or the OpenAI-compatible server its assistant names.

A remote engine is built per call (cheap: no I/O, no model) and reads its BYOK key at its first
request. Unlike speech there is no local fallback: a reply from another model than the one the
customer chose is not the same assistant, so a failing server is heard as the session's apology.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Protocol

from voicedock.engines.base import LLM
from voicedock.engines.credentials import KeySource
from voicedock.engines.loader import Engines
from voicedock.schemas.assistants import LLMConfig

KEYED = {"openai": "openai"}
"""llm_config.provider -> the BYOK provider whose key it needs."""


class LLMSettings(Protocol):
    @property
    def llm_config(self) -> LLMConfig: ...


def llm_problem(assistant: LLMSettings, configured: Collection[str]) -> tuple[str, str] | None:
    """(param, message) when no call could use the assistant's LLM provider, for a 422; else None."""
    provider = assistant.llm_config.provider
    if provider in KEYED and KEYED[provider] not in configured:
        return ("llm_config.provider", f"llm_config.provider {provider!r} needs a BYOK key: POST /byok with "
                                       f"provider {KEYED[provider]!r} (and its base_url for a self-hosted server) first")
    return None


def llm_for(config: LLMConfig, keys: KeySource, local: LLM, call_id: str = "") -> LLM:
    """The engine for one call (or one analysis) of an assistant with this config."""
    if config.provider == "openai":
        from voicedock.engines.llm_openai import OpenAILLM

        return OpenAILLM(keys, model=config.model, base_url=config.url, call_id=call_id)
    return local


def llm_engines_for(assistant: LLMSettings, keys: KeySource, shared: Engines, call_id: str = "") -> Engines:
    """The shared engines with the LLM replaced by the assistant's provider; the same set when local."""
    llm = llm_for(assistant.llm_config, keys, shared.llm, call_id)
    return shared if llm is shared.llm else dataclasses.replace(shared, llm=llm)
