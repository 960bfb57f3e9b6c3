"""Load the engines of a profile from the models dir, once per process.

Models take seconds and hundreds of MB to load, so every call shares one set; the manifest
copied into the models dir by scripts/install-models says which files a profile uses.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from voicedock.config import default_data_dir
from voicedock.engines.base import LLM, STT, TTS, VAD, Embedder, EngineError, TurnDetector, WordsTurnDetector

REPO_MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.json"
DEFAULT_PROFILE = "cpu"
ROLES = ("vad", "stt", "turn", "llm", "tts", "facts")
"""A profile's roles; `turn` and `facts` are optional."""


def default_models_dir() -> Path:
    """VOICEDOCK_MODELS_DIR, else the data dir's models/ (the installer uses the same rule)."""
    if os.environ.get("VOICEDOCK_MODELS_DIR"):
        return Path(os.environ["VOICEDOCK_MODELS_DIR"])
    if os.environ.get("VOICEDOCK_DATA_DIR"):
        return Path(os.environ["VOICEDOCK_DATA_DIR"]) / "models"
    return default_data_dir() / "models"


def default_profile() -> str:
    return os.environ.get("VOICEDOCK_MODEL_PROFILE") or DEFAULT_PROFILE


def read_manifest(models_dir: Path) -> dict[str, Any]:
    """The installed copy wins, so a server runs what was installed even if the repo moved on."""
    path = models_dir / "manifest.json"
    if not path.is_file():
        path = REPO_MANIFEST
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def model_path(manifest: Mapping[str, Any], models_dir: Path, model_id: str) -> Path:
    if model_id not in manifest["models"]:
        raise EngineError("model_unknown", f"model {model_id!r} is not in the manifest")
    entry: str = manifest["models"][model_id]["entry"]
    return models_dir / model_id / entry


def missing_files(manifest: Mapping[str, Any], models_dir: Path, model_ids: list[str]) -> list[str]:
    """Files of these models that are absent or the wrong size (cheap: no hashing)."""
    missing = []
    for model_id in model_ids:
        for name, meta in manifest["models"][model_id]["files"].items():
            path = models_dir / model_id / name
            if not path.is_file() or path.stat().st_size != meta["size"]:
                missing.append(f"{model_id}/{name}")
    return missing


def build_vad(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> VAD:
    if spec.get("engine") == "silero":
        from voicedock.engines.vad_silero import SileroVad

        return SileroVad(model_path(manifest, models_dir, spec["model"]), threshold=float(spec.get("threshold", 0.5)))
    from voicedock.engines.vad_webrtc import WebRtcVad

    return WebRtcVad(aggressiveness=int(spec.get("aggressiveness", 2)))


def build_turn(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> TurnDetector | None:
    """A profile without a `turn` role ends turns on silence alone (`start_speaking_plan.wait_seconds`)."""
    if not spec:
        return None
    from voicedock.engines.turn_smart import SmartTurn

    return SmartTurn(
        model_path(manifest, models_dir, spec["model"]),
        threshold=float(spec.get("threshold", 0.5)),
        check_seconds=tuple(float(c) for c in spec.get("check_seconds", (0.2,))),
        max_wait_seconds=float(spec.get("max_wait_seconds", 2.0)),
        mid_phrase_wait_seconds=float(spec.get("mid_phrase_wait_seconds", 0.0)),
        cpu_threads=int(spec.get("cpu_threads", 1)),
        words=build_words_turn(spec.get("words") or {}, manifest, models_dir),
    )


def build_words_turn(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> WordsTurnDetector | None:
    """The turn role's words model (`turn.words`), where the profile has one."""
    if not spec:
        return None
    from voicedock.engines.turn_words import WordsTurn

    return WordsTurn(model_path(manifest, models_dir, spec["model"]),
                     unfinished_below=float(spec.get("unfinished_below", 0.02)),
                     finished_from=float(spec.get("finished_from", 0.5)),
                     unsure_voice_threshold=float(spec.get("unsure_voice_threshold", 0.0)),
                     question_finished_from=_optional_float(spec.get("question_finished_from")),
                     n_threads=int(spec.get("n_threads", 1)))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def role_models(role: str, spec: Mapping[str, Any]) -> list[str]:
    """The model ids one role's settings name: its model, and the turn role's words model."""
    models = [spec.get("model")]
    if role == "turn":
        models.append((spec.get("words") or {}).get("model"))
    return [str(m) for m in models if m]


def build_facts(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> Embedder | None:
    """The sentence encoder of the facts look-up (`facts`), where the profile has one; without it the
    look-up matches words alone."""
    if not spec:
        return None
    from voicedock.engines.embed_minilm import MiniLmEmbedder

    return MiniLmEmbedder(model_path(manifest, models_dir, spec["model"]))


def build_stt(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> STT:
    from voicedock.engines.stt_whisper import WhisperSTT

    return WhisperSTT(
        model_path(manifest, models_dir, spec["model"]),
        device=spec.get("device", "cpu"),
        compute_type=spec.get("compute_type", "int8"),
        cpu_threads=int(spec.get("cpu_threads", 2)),
        beam_size=int(spec.get("beam_size", 1)),
        language=spec.get("language"),
    )


def model_server_url() -> str | None:
    """`VOICEDOCK_LLM_URL`: an OpenAI-compatible model server (llama.cpp's `llama-server`, vLLM) that
    serves the local provider's LLM instead of a model in this process; several VoiceDock
    processes, or machines, can share it."""
    return os.environ.get("VOICEDOCK_LLM_URL") or None


def model_server_address() -> str | None:
    """The model server's address for health pages: without the credentials or query it may carry."""
    url = model_server_url()
    if not url:
        return None
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def build_llm(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path, *,
              background: bool = False) -> LLM:
    """`background`: for work no caller waits for (see `LlamaLLM`); a model server schedules its own."""
    url = model_server_url()
    if url:  # before importing llama.cpp, which a node whose model runs elsewhere need not load
        return _served_llm(url, str(spec["model"]))

    from voicedock.engines.llm_llama import LlamaLLM
    from voicedock.engines.prompt_cache import max_bytes_from_env

    return LlamaLLM(
        model_path(manifest, models_dir, spec["model"]),
        n_ctx=int(spec.get("n_ctx", 2048)),
        n_threads=int(spec.get("n_threads", 2)),
        n_gpu_layers=int(spec.get("n_gpu_layers", 0)),
        chat_format=spec.get("chat_format"),
        prompt_cache_bytes=max_bytes_from_env(),
        background=background,
    )


def _served_llm(url: str, model: str) -> LLM:
    """The profile's LLM on the node's model server. It queues requests from every call on the node
    (and other nodes), so a first token may wait longer than a hosted API's would: the timeouts are
    wider than the BYOK provider's. `VOICEDOCK_LLM_KEY` is its API key, if it was started with one."""
    from voicedock.engines.credentials import ProviderKey, static_keys
    from voicedock.engines.llm_openai import ServedLLM

    key = ProviderKey(os.environ.get("VOICEDOCK_LLM_KEY", ""), url)
    return ServedLLM(static_keys({"openai": key}), model=model, base_url=url, call_id="",
                     first_token_timeout=30.0, read_timeout=30.0, complete_timeout=60.0)


def build_tts(spec: Mapping[str, Any], manifest: Mapping[str, Any], models_dir: Path) -> TTS:
    from voicedock.engines.tts_piper import PiperTTS

    return PiperTTS(
        model_path(manifest, models_dir, spec["model"]),
        output_rate=spec.get("output_rate", 8000),
        use_cuda=bool(spec.get("use_cuda", False)),
        length_scale=spec.get("length_scale"),
    )


@dataclass
class Engines:
    """The engines a call needs, plus how long each took to load; `turn` is None where the profile
    ends turns on silence alone, `facts` where its facts look-up matches words alone."""

    profile: str
    vad: VAD
    stt: STT
    llm: LLM
    tts: TTS
    turn: TurnDetector | None = None
    facts: Embedder | None = None
    load_seconds: dict[str, float] = field(default_factory=dict)


def load_engines(
    profile: str | None = None,
    models_dir: Path | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Engines:
    """Blocking: builds a fresh set. `overrides` patches a role's settings, e.g. {"stt": {"model": "whisper-base"}}."""
    profile = profile or default_profile()
    models_dir = models_dir or default_models_dir()
    manifest = read_manifest(models_dir)
    if profile not in manifest["profiles"]:
        raise EngineError(
            "profile_unknown", f"unknown model profile {profile!r}; known: {', '.join(manifest['profiles'])}"
        )
    spec = {
        role: {**manifest["profiles"][profile].get(role, {}), **(overrides or {}).get(role, {})}
        for role in ROLES
    }
    local = [m for role, s in spec.items() if not (role == "llm" and model_server_url()) for m in role_models(role, s)]
    missing = missing_files(manifest, models_dir, local)
    if missing:
        raise EngineError(
            "model_missing",
            f"profile {profile} is not installed in {models_dir}: missing {', '.join(missing)}; "
            f"run scripts/install-models --profile {profile}",
        )
    built: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    builders: dict[str, Callable[[], Any]] = {
        "vad": lambda: build_vad(spec["vad"], manifest, models_dir),
        "turn": lambda: build_turn(spec["turn"], manifest, models_dir),
        "stt": lambda: build_stt(spec["stt"], manifest, models_dir),
        "llm": lambda: build_llm(spec["llm"], manifest, models_dir),
        "tts": lambda: build_tts(spec["tts"], manifest, models_dir),
        "facts": lambda: build_facts(spec["facts"], manifest, models_dir),
    }
    for role, build in builders.items():
        started = time.perf_counter()
        built[role] = build()
        seconds[role] = time.perf_counter() - started
    return Engines(profile=profile, load_seconds=seconds, **built)


def load_llm(profile: str | None = None, models_dir: Path | None = None, *, background: bool = False,
             **settings: Any) -> LLM:
    """Blocking: a separate LLM instance of a profile, e.g. for post-call analysis, which must neither
    wait for live turns nor hold the lock of the instance that serves them (nor, with `background`,
    take CPU from them)."""
    profile = profile or default_profile()
    models_dir = models_dir or default_models_dir()
    manifest = read_manifest(models_dir)
    spec = {**manifest["profiles"][profile]["llm"], **settings}
    return build_llm(spec, manifest, models_dir, background=background)


_cache: dict[tuple[str, Path], Engines] = {}
_cache_lock = threading.Lock()


def get_engines_sync(profile: str | None = None, models_dir: Path | None = None) -> Engines:
    """The process-wide set for a profile, loaded on first use."""
    key = (profile or default_profile(), (models_dir or default_models_dir()).resolve())
    with _cache_lock:
        if key not in _cache:
            _cache[key] = load_engines(key[0], key[1])
        return _cache[key]


async def get_engines(profile: str | None = None, models_dir: Path | None = None) -> Engines:
    """Async form for the server's startup: loading runs in a worker thread."""
    return await asyncio.to_thread(get_engines_sync, profile, models_dir)


def fake_engines(**kwargs: Any) -> Engines:
    """Scripted engines for tests; keyword arguments replace individual fakes."""
    from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD

    defaults: dict[str, Any] = {"vad": FakeVAD(), "stt": FakeSTT(), "llm": FakeLLM(), "tts": FakeTTS()}
    defaults.update(kwargs)
    return Engines(profile="fake", **defaults)
