"""The voice session for the server: the installed models, loaded once before the first call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicedock.assistant import CallAssistant
from voicedock.conversation.analysis import Analyser, analyse
from voicedock.conversation.base import SessionFactory
from voicedock.conversation.tool_runner import WebhookToolRunner
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import default_models_dir, default_profile, get_engines, load_llm
from voicedock.webhooks import WebhookClient

log = logging.getLogger("voicedock")




async def load_voice(
    client: WebhookClient, profile: str | None = None, models_dir: Path | None = None
) -> tuple[SessionFactory | None, Analyser | None, dict[str, Any]]:
    """(session factory, post-call analyser, models health); no factory when the models are not installed.

    The analyser has an LLM instance of its own with one thread, so analysing a finished call never
    delays a live call's turn.
    """
    profile = profile or default_profile()
    models_dir = models_dir or default_models_dir()
    try:
        engines = await get_engines(profile, models_dir)
    except Exception as err:  # noqa: BLE001 - any load failure means: serve without the voice session
        log.warning("voice session off: models not loaded (%s); install them with "
                    "scripts/install-models --profile %s", err, profile)
        return None, None, {"status": "not_installed", "profile": profile, "models_dir": str(models_dir)}
    load_seconds = {name: round(seconds, 2) for name, seconds in engines.load_seconds.items()}
    log.info("models loaded", extra={"profile": profile, "load_seconds": load_seconds})
    factory = voice_session_factory(engines, tool_runner=WebhookToolRunner(client))
    analysis_llm = await asyncio.to_thread(load_llm, profile, models_dir, n_threads=1)

    async def analyser(
        assistant: CallAssistant, messages: list[Mapping[str, Any]], tool_calls: list[Mapping[str, Any]]
    ) -> Mapping[str, Any]:
        return await analyse(analysis_llm, assistant, messages, tool_calls)

    return factory, analyser, {"status": "ok", "profile": profile, "load_seconds": load_seconds}
