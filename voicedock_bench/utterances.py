"""The turn benchmark caller's sentences as audio, synthesized once before the calls.

Every question is spoken by two voices, Piper (the project's own TTS) and espeak-ng (a very
different, robotic voice), so the WER figures are not tuned to one speaker. Both are resampled
to the 8 kHz the phone line carries.

Piper samples its voice afresh each time, and one rendering of a question can decide whether a
run meets a latency goal (one hesitant "Where can I find your shop?" is a slow turn in every
call). Kept in an audio folder, the same renderings are heard on every later run, so two runs
compare code, not renderings.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.audio import resample
from voicedock.engines.loader import build_tts, read_manifest

from .questions import BACKCHANNEL, INTERRUPTION, LONG_QUESTION, QUESTIONS

RATE = 8000


def piper_voice(profile: str, models_dir: Path) -> Any:
    manifest = read_manifest(models_dir)
    return build_tts(manifest["profiles"][profile]["tts"], manifest, models_dir)


def read_wav_8k(path: Path) -> np.ndarray:
    """A 16-bit WAV file (espeak-ng's output, an Asterisk prompt) as the 8 kHz audio the line carries."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
    return resample(pcm, rate, RATE).astype(np.int16) if rate != RATE else pcm


async def piper_audio(tts: Any, text: str) -> np.ndarray:
    chunks = [c async for c in tts.synthesize(text)]
    pcm = np.concatenate([c.pcm16 for c in chunks]).astype(np.int16)
    return resample(pcm, chunks[0].rate, RATE).astype(np.int16)


async def espeak_audio(text: str, workdir: Path) -> np.ndarray:
    path = workdir / f"espeak-{abs(hash(text))}.wav"
    process = await asyncio.create_subprocess_exec(
        "espeak-ng", "-v", "en-us", "-s", "160", "-w", str(path), text,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"espeak-ng failed: {err.decode(errors='replace').strip()}")
    return read_wav_8k(path)


def write_wav_8k(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm.astype("<i2").tobytes())


async def utterances(voices: list[str], profile: str, models_dir: Path, workdir: Path,
                     keep: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per voice, the 8 kHz audio of every sentence the caller says."""
    return await synthesize(voices, [*QUESTIONS, LONG_QUESTION, BACKCHANNEL, INTERRUPTION], profile, models_dir,
                            workdir, keep)


def kept_path(keep: Path, voice: str, identity: str, text: str) -> Path:
    """Where a rendering of `text` is kept: named by the voice and a digest of the voice's model and
    the text, so another Piper voice or another sentence is never answered with this audio."""
    digest = hashlib.sha256(f"{identity}\n{text}".encode()).hexdigest()[:16]
    return keep / f"{voice}-{digest}.wav"


def _read_kept(path: Path) -> np.ndarray | None:
    return read_wav_8k(path) if path.exists() else None


def _keep(path: Path, pcm: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav_8k(path, pcm)


async def synthesize(voices: Sequence[str], texts: Sequence[str], profile: str, models_dir: Path,
                     workdir: Path, keep: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per voice ("piper", "espeak-ng"), the 8 kHz audio of each text, made before any call so
    synthesis never shares the CPU with a live call. With `keep`, a rendering found there is used
    and a new one is stored there."""
    out: dict[str, dict[str, Any]] = {}
    for voice in voices:
        if voice == "piper":
            identity = json.dumps(read_manifest(models_dir)["profiles"][profile]["tts"], sort_keys=True)
        else:
            identity = "espeak-ng en-us 160"
        tts: Any = None
        out[voice] = {}
        for text in texts:
            path = kept_path(keep, voice, identity, text) if keep is not None else None
            kept = None if path is None else await asyncio.to_thread(_read_kept, path)
            if kept is not None:
                out[voice][text] = kept
                continue
            if voice == "piper":
                tts = tts or piper_voice(profile, models_dir)
                pcm = await piper_audio(tts, text)
            else:
                pcm = await espeak_audio(text, workdir)
            if path is not None:
                await asyncio.to_thread(_keep, path, pcm)
            out[voice][text] = pcm
    return out
