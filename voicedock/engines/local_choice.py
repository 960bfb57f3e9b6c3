"""Which installed local models a call uses: its assistant's language, voice, speaking rate and STT model.

The loader loads one profile's models for every call; an assistant may ask for another installed
Whisper model (a multilingual one for a language other than English) or another installed Piper
voice. Those load on first use in a worker thread and are then shared, like the profile's own.
The same rules refuse, at the API, a setting no installed model can honour (`local_problem`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from voicedock.audio import PCM16
from voicedock.engines.base import AudioChunk, Transcript
from voicedock.engines.loader import Engines, build_stt, build_tts, missing_files
from voicedock.engines.stt_whisper import WhisperSTT
from voicedock.engines.tts_piper import PiperTTS
from voicedock.schemas.assistants import LLMConfig, STTConfig, TTSConfig

ENGLISH = "en"
_PIPER_NAME = re.compile(r"^(?:piper-)?([a-z]{2,3})_[A-Z]{2}-")


class LocalSettings(Protocol):
    @property
    def language(self) -> str: ...

    @property
    def stt_config(self) -> STTConfig: ...

    @property
    def tts_config(self) -> TTSConfig: ...

    @property
    def llm_config(self) -> LLMConfig: ...


def base_language(tag: str) -> str:
    """`en-US`, `en_US` and `en` all mean English to Whisper and to a voice list."""
    return re.split(r"[-_]", tag, maxsplit=1)[0].lower()


@dataclass(frozen=True)
class Installed:
    """The local STT models and Piper voices whose files are all on disk, and the profile's defaults."""

    stt: Mapping[str, bool]  # model id -> multilingual
    voices: Mapping[str, str]  # model id -> base language ("en")
    default_stt: str
    default_voice: str
    default_language: str = ENGLISH
    default_llm: str = ""

    @classmethod
    def scan(cls, manifest: Mapping[str, Any], models_dir: Path, profile: str) -> Installed:
        """Cheap (sizes only, no hashing): the API runs it for each assistant it checks."""
        stt: dict[str, bool] = {}
        voices: dict[str, str] = {}
        for model_id, meta in manifest["models"].items():
            if missing_files(manifest, models_dir, [model_id]):
                continue
            if meta.get("kind") == "stt":
                stt[model_id] = bool(meta.get("multilingual", not model_id.endswith(".en")))
            elif meta.get("kind") == "tts":
                found = _PIPER_NAME.match(model_id)
                language = meta.get("language") or (found.group(1) if found else "")
                voices[model_id] = base_language(language)
        spec = manifest["profiles"][profile]
        return cls(stt, voices, spec["stt"]["model"], spec["tts"]["model"],
                   base_language(spec["stt"].get("language") or ENGLISH), spec["llm"]["model"])

    def voice(self, voice_id: str) -> str | None:
        """The installed voice a `voice_id` names, with or without the `piper-` prefix."""
        for candidate in (voice_id, f"piper-{voice_id}"):
            if candidate in self.voices:
                return candidate
        return None


@dataclass(frozen=True)
class Choice:
    """What one call runs locally, or falls back to when its provider fails."""

    stt_model: str
    language: str
    voice: str
    speed: float


INSTALL = "scripts/install-models --model ID (--from-dir DIR for files you copied in)"


def _stt_choice(a: LocalSettings, have: Installed) -> tuple[str | None, tuple[str, str] | None]:
    language = base_language(a.stt_config.language or a.language)
    wanted = a.stt_config.model if a.stt_config.provider == "local" else None  # else the provider's model
    if wanted:
        if wanted not in have.stt:
            return None, ("stt_config.model", f"STT model {wanted!r} is not installed (installed: "
                          f"{', '.join(sorted(have.stt)) or 'none'}); install it with {INSTALL}")
        if language != ENGLISH and not have.stt[wanted]:
            return None, ("stt_config.model", f"STT model {wanted!r} understands English only, not {language!r}; "
                          "choose a multilingual Whisper model such as whisper-base")
        return wanted, None
    if language in (ENGLISH, have.default_language) or have.stt.get(have.default_stt):
        return have.default_stt, None
    multilingual = sorted(m for m, many in have.stt.items() if many)
    if not multilingual:
        return None, ("language", f"language {language!r} needs a multilingual Whisper model and none is "
                      f"installed; install one with scripts/install-models --model whisper-base")
    return multilingual[0], None


def _voice_choice(a: LocalSettings, have: Installed) -> tuple[str | None, tuple[str, str] | None]:
    language = base_language(a.language)
    if a.tts_config.voice_id and a.tts_config.provider == "local":  # else it names the provider's voice
        voice = have.voice(a.tts_config.voice_id)
        if voice is None:
            return None, ("tts_config.voice_id", f"Piper voice {a.tts_config.voice_id!r} is not installed "
                          f"(installed: {', '.join(sorted(have.voices)) or 'none'}); add it to "
                          f"models/manifest.json and install it with {INSTALL}")
        return voice, None
    if language == have.default_language or have.voices.get(have.default_voice) == language:
        return have.default_voice, None
    matching = sorted(v for v, lang in have.voices.items() if lang == language)
    if not matching:
        return None, ("language", f"no Piper voice for language {language!r} is installed (installed: "
                      f"{', '.join(sorted(have.voices)) or 'none'}); add one to models/manifest.json and "
                      f"install it with {INSTALL}")
    return matching[0], None


def local_problem(assistant: LocalSettings, have: Installed) -> tuple[str, str] | None:
    """(param, message) for a 422 when a local engine cannot honour the settings; None when it can."""
    llm = assistant.llm_config
    if llm.provider == "local" and llm.model and llm.model != have.default_llm:
        return ("llm_config.model", f"the local LLM is {have.default_llm!r} (the server's model profile); "
                "llm_config.model names another model only with llm_config.provider 'openai'")
    if assistant.stt_config.provider == "local":
        _, problem = _stt_choice(assistant, have)
        if problem:
            return problem
    if assistant.tts_config.provider == "local":
        _, problem = _voice_choice(assistant, have)
        if problem:
            return problem
    return None


def choose(assistant: LocalSettings, have: Installed) -> Choice:
    """The call's local models; a setting that cannot be honoured (refused at the API) keeps the default.

    With a remote provider the local engine is its fallback, so it still follows the language and
    speed: a failing provider hands over to a voice that sounds like the assistant's own."""
    stt = _stt_choice(assistant, have)[0] or have.default_stt
    voice = _voice_choice(assistant, have)[0] or have.default_voice
    return Choice(stt, base_language(assistant.stt_config.language or assistant.language), voice,
                  assistant.tts_config.speed)


class ChosenSTT:
    """A call's Whisper model and language; the model loads in a worker thread on first use."""

    def __init__(self, load: Callable[[], WhisperSTT], language: str) -> None:
        self._load = load
        self.language = language

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        model = await asyncio.to_thread(self._load)
        return await model.transcribe(pcm16, rate, language=self.language)


class ChosenTTS:
    """A call's Piper voice at its speaking rate; the voice loads in a worker thread on first use."""

    def __init__(self, load: Callable[[], PiperTTS], speed: float, output_rate: int) -> None:
        self._load = load
        self.speed = speed
        self._rate = output_rate

    @property
    def output_rate(self) -> int:
        return self._rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        voice = await asyncio.to_thread(self._load)
        async for chunk in voice.synthesize(text, self.speed):
            yield chunk


class LocalModels:
    """Installed models beyond the profile's, loaded once on first use and shared by every call."""

    def __init__(self, manifest: Mapping[str, Any], models_dir: Path, profile: str, shared: Engines) -> None:
        self.installed = Installed.scan(manifest, models_dir, profile)
        self._manifest = manifest
        self._dir = models_dir
        self._spec = manifest["profiles"][profile]
        self._lock = threading.Lock()
        self._stt: dict[str, WhisperSTT] = {}
        self._tts: dict[str, PiperTTS] = {}
        if isinstance(shared.stt, WhisperSTT):
            self._stt[self.installed.default_stt] = shared.stt
        if isinstance(shared.tts, PiperTTS):
            self._tts[self.installed.default_voice] = shared.tts

    def _whisper(self, model_id: str) -> WhisperSTT:
        with self._lock:
            if model_id not in self._stt:
                built = build_stt({**self._spec["stt"], "model": model_id}, self._manifest, self._dir)
                assert isinstance(built, WhisperSTT)
                self._stt[model_id] = built
            return self._stt[model_id]

    def _piper(self, model_id: str) -> PiperTTS:
        with self._lock:
            if model_id not in self._tts:
                built = build_tts({**self._spec["tts"], "model": model_id}, self._manifest, self._dir)
                assert isinstance(built, PiperTTS)
                self._tts[model_id] = built
            return self._tts[model_id]

    def engines_for(self, assistant: LocalSettings, shared: Engines) -> Engines:
        """Cheap (no loading here): the shared engines, with STT/TTS swapped where the assistant differs."""
        have, choice = self.installed, choose(assistant, self.installed)
        stt, tts = shared.stt, shared.tts
        if choice.stt_model != have.default_stt or choice.language != have.default_language:
            stt = ChosenSTT(lambda: self._whisper(choice.stt_model), choice.language)
        if choice.voice != have.default_voice or choice.speed != 1.0:
            tts = ChosenTTS(lambda: self._piper(choice.voice), choice.speed, shared.tts.output_rate)
        if stt is shared.stt and tts is shared.tts:
            return shared
        return dataclasses.replace(shared, stt=stt, tts=tts)
