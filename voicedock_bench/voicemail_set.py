"""The labelled answers the voicemail detector is tuned and measured on, built from audio on this host.

Machines: recorded greetings that end in a beep. Asterisk's own voicemail greeting from its
human-recorded prompts ("The person at extension 2 0 1 is unavailable. Please leave your message
after the tone...", package asterisk-core-sounds-en-wav), and personal or business greetings in
synthetic voices (espeak-ng voices, and Piper when a model directory is given). People: short
answers ("Hello?", "Yes, this is Sam", "Hi, who's calling?") in the same voices, and the recorded
"Hello" prompts. Every item starts after a short, varying pause (a phone picked up, a greeting
starting), goes through the line's µ-law, and has faint line noise.

The split is fixed by the script, before any tuning: within each list below, the scripts at even
positions are `dev` (tuning) and those at odd positions `test` (the figures we report), every voice
of a script in the same split, so no test sentence was ever heard while tuning.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.audio import Pcm, ulaw_decode, ulaw_encode

from .utterances import piper_audio, read_wav_8k

RATE = 8000
PROMPTS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-scotland+m3", "en-029+f4")

MACHINE_TEXTS = (
    "You've reached Sam Taylor. I can't take your call right now, please leave a message after the tone.",
    "Hi, this is Dana at Northside Dental. We're closed right now. Leave your name and number and we'll call you back.",
    "The number you have dialed is not available. Please leave a message after the beep.",
    "Hello, you've reached the Garcia family. We're not home right now, so leave us a message.",
    "Thanks for calling. Nobody can come to the phone at the moment. Please leave a message and have a great day.",
    "Hey, it's Chris. Leave me a message and I'll call you back.",
    "You have reached the voicemail of extension four two one. Please record your message after the tone.",
    "Hi! Sorry I missed you. Tell me who you are and why you called, and I'll get back to you soon.",
)
MACHINE_PROMPTS = (  # Asterisk's VoiceMail() greetings, as its app plays them
    ("vm-theperson", "digits/2", "digits/0", "digits/1", "vm-isunavail", "vm-intro"),
    ("vm-nobodyavail", "vm-intro"),
    ("vm-theperson", "digits/4", "digits/5", "vm-isonphone", "vm-intro"),
    ("vm-theperson", "digits/7", "digits/3", "digits/9", "vm-isunavail", "vm-leavemsg"),
)
HUMAN_TEXTS = (
    "Hello?",
    "Yes, this is Sam.",
    "Hi, who's calling?",
    "Hello, Dana speaking.",
    "Yeah?",
    "Good morning, Northside Dental.",
    "Hello? Who is this?",
    "Hi.",
)
HUMAN_PROMPTS = (("hello",), ("hello-world",))


@dataclass(frozen=True)
class Item:
    name: str
    label: str  # "machine" or "human"
    split: str  # "dev" or "test"
    voice: str
    script: str
    pcm: Pcm
    speech_start: float  # seconds from the answer
    speech_end: float  # end of the greeting's or the person's words
    beep_end: float | None = None  # machines: the moment the message may start

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "split": self.split, "voice": self.voice,
                "script": self.script, "speech_start": round(self.speech_start, 3),
                "speech_end": round(self.speech_end, 3), "beep_end": self.beep_end and round(self.beep_end, 3)}


def trim(pcm: Pcm, floor: float = 300.0) -> Pcm:
    """Without the leading and trailing silence a synthesizer or a prompt file carries."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > floor)
    return pcm[loud[0]: loud[-1] + 1] if len(loud) else pcm[:0]


def prompt(names: tuple[str, ...], gap: float = 0.12) -> Pcm:
    pause = np.zeros(int(gap * RATE), dtype=np.int16)
    parts: list[Pcm] = []
    for name in names:
        parts += [trim(read_wav_8k(PROMPTS / f"{name}.wav")), pause]
    return np.concatenate(parts[:-1])


def espeak(text: str, voice: str, workdir: Path) -> Pcm:
    key = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16]
    path = workdir / f"espeak-{key}.wav"
    if not path.exists():
        import subprocess

        subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(path), text], check=True,
                       capture_output=True, timeout=60)
    return trim(read_wav_8k(path))


def _seconds(pcm: Pcm) -> float:
    return len(pcm) / RATE


def _line(pcm: Pcm, seed: int) -> Pcm:
    """Through the phone line: faint noise (about -56 dBFS), then µ-law as Asterisk carries it."""
    noise = np.random.default_rng(seed).normal(0, 50, len(pcm))
    mixed = np.clip(pcm.astype(np.float64) + noise, -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(mixed))


def assemble(name: str, label: str, split: str, voice: str, script: str, speech: Pcm, index: int) -> Item:
    """Lead-in pause, the words, then (machines) a short pause and the beep, then silence."""
    lead = 0.2 + 0.15 * (index % 5)  # 0.2 .. 0.8 s after the answer
    silence = lambda s: np.zeros(int(s * RATE), dtype=np.int16)  # noqa: E731
    parts = [silence(lead), speech]
    beep_end = None
    if label == "machine":
        beep = trim(read_wav_8k(PROMPTS / "beep.wav"))
        gap = 0.3 + 0.1 * (index % 3)
        parts += [silence(gap), beep]
        beep_end = lead + _seconds(speech) + gap + _seconds(beep)
    parts.append(silence(4.0))
    pcm = _line(np.concatenate(parts), int(hashlib.sha1(name.encode()).hexdigest()[:8], 16))
    return Item(name, label, split, voice, script, pcm, lead, lead + _seconds(speech), beep_end)


def _split(position: int) -> str:
    return "dev" if position % 2 == 0 else "test"


def build(workdir: Path, piper: Any | None = None) -> list[Item]:
    """Every item; `piper` (a TTS engine) adds a Piper voice for each text."""
    workdir.mkdir(parents=True, exist_ok=True)
    items: list[Item] = []
    index = 0
    for label, names in (("machine", MACHINE_PROMPTS), ("human", HUMAN_PROMPTS)):
        for position, parts in enumerate(names):
            script = "+".join(parts)
            items.append(assemble(f"{label}-prompt-{position}", label, _split(position), "asterisk-prompts",
                                  script, prompt(parts), index))
            index += 1
    for label, texts in (("machine", MACHINE_TEXTS), ("human", HUMAN_TEXTS)):
        for position, text in enumerate(texts):
            for voice, speech in _voices(text, workdir, piper):
                items.append(assemble(f"{label}-{position}-{voice}", label, _split(position), voice, text, speech,
                                      index))
                index += 1
    return items


def _voices(text: str, workdir: Path, piper: Any | None) -> Iterator[tuple[str, Pcm]]:
    for voice in ESPEAK_VOICES:
        yield f"espeak-{voice}", espeak(text, voice, workdir)
    if piper is not None:
        yield "piper", trim(asyncio.run(piper_audio(piper, text)))


def missing_sources() -> list[str]:
    """What this host lacks to build the set (install hints)."""
    missing = []
    if not (PROMPTS / "vm-intro.wav").exists():
        missing.append("apt-get install asterisk-core-sounds-en-wav")
    if shutil.which("espeak-ng") is None:
        missing.append("apt-get install espeak-ng")
    return missing
