"""Which STT and TTS engines a call uses: the assistant's `stt_config`/`tts_config` providers, each
remote one wrapped with the shared local engine as its fallback.

Kept apart from the model loader so that the LLM's provider choice can sit beside it without the
two touching: the loader owns the local models, this module only picks per assistant.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Protocol

from voicedock.engines.base import STT, TTS
from voicedock.engines.credentials import KeySource, parse_tcp_url
from voicedock.engines.loader import Engines
from voicedock.schemas.assistants import STTConfig, TTSConfig

KEYED = {"openai": "openai", "deepgram": "deepgram", "elevenlabs": "elevenlabs"}
"""provider -> the BYOK provider whose key it needs."""


class SpeechSettings(Protocol):
    @property
    def stt_config(self) -> STTConfig: ...

    @property
    def tts_config(self) -> TTSConfig: ...


def speech_problem(assistant: SpeechSettings, configured: Collection[str]) -> tuple[str, str] | None:
    """(param, message) of the first provider setting a call could not use, for a 422; None if all can be."""
    for role, config in (("stt_config", assistant.stt_config), ("tts_config", assistant.tts_config)):
        provider = config.provider
        if provider in KEYED and KEYED[provider] not in configured:
            return (f"{role}.provider", f"{role}.provider {provider!r} needs a BYOK key: "
                                        f"POST /byok with provider {KEYED[provider]!r} first")
        if provider == "wyoming":
            try:
                parse_tcp_url(config.url)
            except ValueError:
                return f"{role}.url", f"{role}.provider 'wyoming' needs {role}.url as tcp://host:port"
    return None


def _remote_stt(config: STTConfig, keys: KeySource) -> STT | None:
    if config.provider == "openai":
        from voicedock.engines.stt_remote import OpenAISTT

        return OpenAISTT(keys, model=config.model, language=config.language, base_url=config.url)
    if config.provider == "deepgram":
        from voicedock.engines.stt_remote import DeepgramSTT

        return DeepgramSTT(keys, model=config.model, language=config.language, base_url=config.url)
    if config.provider == "wyoming":
        from voicedock.engines.speech_wyoming import WyomingSTT

        return WyomingSTT(config.url or "", model=config.model, language=config.language)
    return None


def _remote_tts(config: TTSConfig, keys: KeySource, rate: int) -> TTS | None:
    if config.provider == "openai":
        from voicedock.engines.tts_remote import OpenAITTS

        return OpenAITTS(keys, output_rate=rate, model=config.model, voice=config.voice_id, speed=config.speed,
                         base_url=config.url)
    if config.provider == "elevenlabs":
        from voicedock.engines.tts_remote import ElevenLabsTTS

        return ElevenLabsTTS(keys, output_rate=rate, voice_id=config.voice_id, model=config.model,
                             speed=config.speed, base_url=config.url)
    if config.provider == "wyoming":
        from voicedock.engines.speech_wyoming import WyomingTTS

        return WyomingTTS(config.url or "", output_rate=rate, voice=config.voice_id)
    return None


def speech_engines_for(assistant: SpeechSettings, keys: KeySource, shared: Engines, call_id: str = "") -> Engines:
    """The shared engines with STT/TTS replaced by the assistant's providers; cheap (no I/O, no models),
    so it runs for every call. A config that cannot build (a bad url) keeps the local engine."""
    from voicedock.engines.speech_fallback import FallbackSTT, FallbackTTS, log

    stt, tts = shared.stt, shared.tts
    try:
        remote_stt = _remote_stt(assistant.stt_config, keys)
        remote_tts = _remote_tts(assistant.tts_config, keys, shared.tts.output_rate)
    except ValueError as err:
        log.warning("speech provider not usable, local engines answer: %s", err, extra={"call_id": call_id})
        return shared
    if remote_stt is not None:
        stt = FallbackSTT(remote_stt, shared.stt, provider=assistant.stt_config.provider, call_id=call_id)
    if remote_tts is not None:
        tts = FallbackTTS(remote_tts, shared.tts, provider=assistant.tts_config.provider, call_id=call_id)
    if stt is shared.stt and tts is shared.tts:
        return shared
    return dataclasses.replace(shared, stt=stt, tts=tts)
