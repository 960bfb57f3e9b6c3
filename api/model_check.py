"""Refuse an assistant whose language, voice or STT model no installed local model can honour:
accepted, its calls would speak and listen with the defaults while the customer believes otherwise.
The 422 names what to install (operators add models with scripts/install-models)."""

from __future__ import annotations

import asyncio

from voicedock.engines.loader import default_models_dir, default_profile, read_manifest
from voicedock.engines.local_choice import Installed, LocalSettings, local_problem

from .errors import ApiError

MODEL_FIELDS = frozenset({"language", "stt_config", "tts_config", "llm_config"})


def check_models(assistant: LocalSettings) -> None:
    """Blocking (reads the manifest, stats model files): off the event loop, in a thread or a transaction."""
    models_dir = default_models_dir()
    manifest = read_manifest(models_dir)
    profile = default_profile()
    if profile not in manifest["profiles"]:
        return  # the server reports the unknown profile itself at start
    problem = local_problem(assistant, Installed.scan(manifest, models_dir, profile))
    if problem is not None:
        param, message = problem
        raise ApiError(422, "model_not_installed", message, param)


async def check_models_now(assistant: LocalSettings) -> None:
    await asyncio.to_thread(check_models, assistant)
