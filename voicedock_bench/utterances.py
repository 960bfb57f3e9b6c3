"""The turn benchmark caller's sentences as audio, synthesized once before the calls.

Every question is spoken by two voices, Piper (the project's own TTS) and espeak-ng (a very
different, robotic voice), so the WER figures are not tuned to one speaker. Both are resampled
to the 8 kHz the phone line carries.
"""

from __future__ import annotations

import asyncio
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


async def utterances(voices: list[str], profile: str, models_dir: Path, workdir: Path) -> dict[str, dict[str, Any]]:
    """Per voice, the 8 kHz audio of every sentence the caller says."""
    return await synthesize(voices, [*QUESTIONS, LONG_QUESTION, BACKCHANNEL, INTERRUPTION], profile, models_dir, workdir)


async def synthesize(voices: Sequence[str], texts: Sequence[str], profile: str, models_dir: Path,
                     workdir: Path) -> dict[str, dict[str, Any]]:
    """Per voice ("piper", "espeak-ng"), the 8 kHz audio of each text, made before any call so
    synthesis never shares the CPU with a live call."""
    out: dict[str, dict[str, Any]] = {}
    if "piper" in voices:
        tts = piper_voice(profile, models_dir)
        out["piper"] = {t: await piper_audio(tts, t) for t in texts}
    if "espeak-ng" in voices:
        out["espeak-ng"] = {t: await espeak_audio(t, workdir) for t in texts}
    return out
