"""The voice session for the server: the installed models, loaded once before the first call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from voicedock.assistant import CallAssistant
from voicedock.conversation.analysis import Analyser, analyse
from voicedock.conversation.base import CallInfo, SessionFactory
from voicedock.conversation.tool_runner import WebhookToolRunner
from voicedock.conversation.voice import voice_session_factory
from voicedock.conversation.warming import PromptWarmer, Warmable
from voicedock.engines.credentials import KeySource, ProviderKey
from voicedock.engines.llm_providers import llm_engines_for, llm_for
from voicedock.engines.loader import (
    Engines,
    default_models_dir,
    default_profile,
    get_engines,
    load_llm,
    model_server_address,
    read_manifest,
)
from voicedock.engines.local_choice import LocalModels
from voicedock.engines.speech_providers import speech_engines_for
from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock.webhooks import WebhookClient

log = logging.getLogger("voicedock")


def byok_keys(db: Database, box: SecretBox) -> KeySource:
    """BYOK keys read when a remote engine uses them, in the database's reader threads."""

    async def lookup(provider: str) -> ProviderKey | None:
        entry = await db.read(lambda d: records.byok_entry(d, box, provider))
        return ProviderKey(entry[0], entry[1]) if entry else None

    return lookup


def speech_per_call(keys: KeySource) -> Callable[[CallInfo, Engines], Engines]:
    """Each call's STT/TTS from its assistant's providers, the shared local ones behind them."""

    def choose(info: CallInfo, shared: Engines) -> Engines:
        return speech_engines_for(info.assistant, keys, shared, info.call_id)

    return choose


def providers_per_call(keys: KeySource) -> Callable[[CallInfo, Engines], Engines]:
    """Each call's engines from its assistant's providers: speech (local ones behind them) and the LLM."""
    speech = speech_per_call(keys)

    def choose(info: CallInfo, shared: Engines) -> Engines:
        return llm_engines_for(info.assistant, keys, speech(info, shared), info.call_id)

    return choose


def call_engines(local: LocalModels, keys: KeySource | None) -> Callable[[CallInfo, Engines], Engines]:
    """Each call's engines: the installed models its assistant's language, voice, speed and STT model
    choose, with its providers over them (so a failing provider falls back to the assistant's own voice)."""
    providers = providers_per_call(keys) if keys is not None else None

    def choose(info: CallInfo, shared: Engines) -> Engines:
        own = local.engines_for(info.assistant, shared)
        return providers(info, own) if providers is not None else own

    return choose


async def load_voice(
    client: WebhookClient, profile: str | None = None, models_dir: Path | None = None,
    keys: KeySource | None = None,
) -> tuple[SessionFactory | None, Analyser | None, dict[str, Any], PromptWarmer | None]:
    """(session factory, post-call analyser, models health, prompt warmer); no factory when the models
    are not installed.

    The analyser has an LLM instance of its own with one thread, so analysing a finished call never
    delays a live call's turn. The warmer evaluates saved assistants' prompts on the calls' LLM.
    """
    profile = profile or default_profile()
    models_dir = models_dir or default_models_dir()
    try:
        engines = await get_engines(profile, models_dir)
    except Exception as err:  # noqa: BLE001 - any load failure means: serve without the voice session
        log.warning("voice session off: models not loaded (%s); install them with "
                    "scripts/install-models --profile %s", err, profile)
        return None, None, {"status": "not_installed", "profile": profile, "models_dir": str(models_dir)}, None
    load_seconds = {name: round(seconds, 2) for name, seconds in engines.load_seconds.items()}
    log.info("models loaded", extra={"profile": profile, "load_seconds": load_seconds})
    local = await asyncio.to_thread(lambda: LocalModels(read_manifest(models_dir), models_dir, profile, engines))
    factory = voice_session_factory(engines, tool_runner=WebhookToolRunner(client), per_call=call_engines(local, keys))
    analysis_llm = await asyncio.to_thread(load_llm, profile, models_dir, n_threads=1, background=True)

    async def analyser(
        assistant: CallAssistant, messages: list[Mapping[str, Any]], tool_calls: list[Mapping[str, Any]]
    ) -> Mapping[str, Any]:
        llm = llm_for(assistant.llm_config, keys, analysis_llm) if keys is not None else analysis_llm
        return await analyse(llm, assistant, messages, tool_calls)

    served = model_server_address()
    # A model server keeps one prompt per slot: warming every saved assistant there would only
    # cycle its slots. Its calls still warm their own heads and histories.
    warmer = PromptWarmer(engines.llm) if isinstance(engines.llm, Warmable) and not served else None
    health: dict[str, Any] = {"status": "ok", "profile": profile, "load_seconds": load_seconds}
    if served:
        health["llm_server"] = served
    return factory, analyser, health, warmer
