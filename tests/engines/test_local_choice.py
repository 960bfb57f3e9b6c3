"""An assistant's language, voice, speaking rate and STT model select the local engines of its calls."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicedock.assistant import CallAssistant
from voicedock.engines.loader import Engines, read_manifest
from voicedock.engines.local_choice import Installed, LocalModels, local_problem

GREETING = "Thank you for calling the Bistro. How can I help you today?"


async def spoken_seconds(engines: Engines, text: str, times: int = 3) -> float:
    """Mean length of `times` renditions: Piper draws each sound's length at random, so one
    rendition of a greeting varies by a tenth of a second or so either way."""
    total = 0.0
    for _ in range(times):
        total += sum([chunk.seconds async for chunk in engines.tts.synthesize(text)])
    return total / times


def assistant(**fields: Any) -> CallAssistant:
    return CallAssistant.parse({"system_prompt": "x", **fields})


async def test_speed_one_and_a_half_speaks_the_greeting_at_least_a_fifth_faster(
    ci_models_dir: Path, ci_engines: Engines
) -> None:
    models = LocalModels(read_manifest(ci_models_dir), ci_models_dir, "ci", ci_engines)
    normal = await spoken_seconds(models.engines_for(assistant(), ci_engines), GREETING)
    fast = await spoken_seconds(models.engines_for(assistant(tts_config={"speed": 1.5}), ci_engines), GREETING)
    slow = await spoken_seconds(models.engines_for(assistant(tts_config={"speed": 0.75}), ci_engines), GREETING)
    assert normal > 2.0 and fast <= 0.8 * normal, (fast, normal)
    assert slow >= 1.1 * normal, (slow, normal)


async def test_the_assistants_language_reaches_the_transcriber(
    ci_models_dir: Path, ci_engines: Engines, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = copy.deepcopy(read_manifest(ci_models_dir))
    manifest["models"]["whisper-tiny.en"]["multilingual"] = True  # stands in for an installed whisper-base
    models = LocalModels(manifest, ci_models_dir, "ci", ci_engines)
    whisper: Any = ci_engines.stt
    languages: list[str | None] = []
    original = whisper.model.transcribe

    def spy(audio: Any, **options: Any) -> Any:
        languages.append(options.get("language"))
        return original(audio, **options)

    monkeypatch.setattr(whisper.model, "transcribe", spy)
    silence = np.zeros(8000, dtype=np.int16)
    await models.engines_for(assistant(language="de"), ci_engines).stt.transcribe(silence, 8000)
    await models.engines_for(assistant(language="en", stt_config={"language": "fr"}), ci_engines).stt.transcribe(
        silence, 8000)
    await models.engines_for(assistant(), ci_engines).stt.transcribe(silence, 8000)
    assert languages == ["de", "fr", "en"]


def test_settings_no_installed_model_can_honour_name_what_to_install(ci_models_dir: Path) -> None:
    have = Installed.scan(read_manifest(ci_models_dir), ci_models_dir, "ci")
    assert local_problem(assistant(), have) is None
    assert local_problem(assistant(tts_config={"voice_id": "en_US-joe-medium", "speed": 2.0}), have) is None
    param, message = local_problem(assistant(tts_config={"voice_id": "de_DE-thorsten-medium"}), have) or ("", "")
    assert param == "tts_config.voice_id" and "de_DE-thorsten-medium" in message and "install-models" in message
    param, message = local_problem(assistant(language="de"), have) or ("", "")
    assert param == "language" and "whisper-base" in message
    param, message = local_problem(assistant(stt_config={"model": "whisper-large-v3"}), have) or ("", "")
    assert param == "stt_config.model" and "whisper-large-v3" in message
    param, message = local_problem(assistant(llm_config={"model": "gpt-4o"}), have) or ("", "")
    assert param == "llm_config.model" and "smollm2-135m-instruct-q4_1" in message
    assert local_problem(assistant(llm_config={"model": "smollm2-135m-instruct-q4_1"}), have) is None
    assert local_problem(assistant(llm_config={"provider": "openai", "model": "gpt-4o"}), have) is None
    remote = assistant(language="de", stt_config={"provider": "wyoming", "url": "tcp://127.0.0.1:10300"},
                       tts_config={"provider": "wyoming", "url": "tcp://127.0.0.1:10200"})
    assert local_problem(remote, have) is None
