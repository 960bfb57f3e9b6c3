"""The false-cut-off set: sentences a caller stops in the middle of, and the same sentences said whole.

Each sentence is synthesized with a comma where a caller might hesitate ("I'd like to book, a
cleaning for Tuesday"), so the voice carries on-going intonation into the pause, as a person's
does; the comma's short gap is then stretched to 300-900 ms. The same words without the comma
are the complete utterance. Voices: Piper's joe (with a models dir) and three espeak-ng voices.
Everything takes the telephone path: 8 kHz, µ-law and back, with faint line noise, so silence
is never the digital zero a softphone would send.

Split rule, fixed before any tuning: sentences at even positions are `dev`, odd ones `test`; a
sentence's voices all stay in its split, so tuning never hears a test sentence.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.audio import Pcm, ulaw_decode, ulaw_encode

from .utterances import piper_audio, read_wav_8k

RATE = 8000
FRAME = 160
LOUD = 200.0  # frame RMS that counts as voice when finding a sentence's end and its comma gap
LEAD_SECONDS, TAIL_SECONDS = 0.5, 3.0
NOISE_RMS = 30.0  # about -61 dBFS of line hiss
ESPEAK_VOICES = ("en-us", "en-gb-x-rp", "en-us+f3")

SENTENCES: tuple[tuple[str, str], ...] = (
    ("I'd like to book", "a cleaning for Tuesday"),
    ("My phone number is", "five five five, one two three four"),
    ("Can you tell me", "what time you close on Friday"),
    ("I was wondering if", "you have anything open next week"),
    ("I need to cancel", "my appointment for tomorrow morning"),
    ("The reason I'm calling is", "my tooth has been hurting since Monday"),
    ("Could you check if", "the doctor is available on Thursday afternoon"),
    ("My name is", "Sarah Johnson, and I'm a new patient"),
    ("I'd prefer something", "in the late afternoon if possible"),
    ("Do you know whether", "my insurance covers the whole visit"),
    ("We would need a table", "for four people at seven tonight"),
    ("Is it possible to", "move my booking to the following week"),
    ("I ordered a parcel", "last Friday and it still hasn't arrived"),
    ("The tracking number is", "Z X four nine one two"),
    ("I'm looking for", "someone who can fix a leaking pipe"),
    ("Would it be okay if", "I brought my son along as well"),
    ("Last time I was there", "the parking was completely full"),
    ("What I really want to know is", "how much the whole treatment costs"),
    ("I think the best day", "would be Wednesday around noon"),
    ("Can I speak with", "somebody about my last invoice"),
    ("I've been trying to", "reach your office all morning"),
    ("Please send the confirmation", "to my email address"),
    ("I'm calling on behalf of", "my mother, who is a patient of yours"),
    ("If there is nothing on Monday", "then Tuesday would also work"),
    # Added with the second round: other businesses, and heads that end on a preposition, an
    # article, a verb or a whole clause, written before the set was run again.
    ("I was hoping to", "reschedule my cleaning to next month"),
    ("Could I get a table for", "two on Saturday evening"),
    ("My laptop keeps", "freezing when I open the spreadsheet"),
    ("The parcel was supposed to", "arrive yesterday but nothing came"),
    ("I'd like to order", "a birthday cake for twenty people"),
    ("Is there any way to", "get an earlier appointment this week"),
    ("We're celebrating", "my parents' anniversary on Friday"),
    ("I can't log in to", "my email since the password change"),
    ("Would you be able to", "deliver it to my neighbour instead"),
    ("My daughter needs", "a check-up before school starts"),
    ("I wanted to ask about", "the price of a filling"),
    ("The printer on the", "third floor is out of toner"),
    ("Can you deliver on", "Saturday morning before ten"),
    ("I'm not sure whether", "my appointment is today or tomorrow"),
    ("Do you still have", "space for a large group tonight"),
    ("The error message says", "access denied whenever I try to save"),
    ("It should be addressed to", "Maria Lopez at the side entrance"),
    ("Because of my work", "I can only come after five"),
    ("I'd like to know if", "you have gluten-free options"),
    ("My account number is", "four four seven, nine zero two"),
    ("When I called last week", "nobody picked up the phone"),
    ("Could somebody from", "your team call me back today"),
    ("I need a new", "password for the accounting system"),
    ("Ideally we would come", "at half past seven with the kids"),
)


@dataclass(frozen=True)
class Item:
    """One utterance on the line. Times are seconds from the start of `pcm`; a paused item's
    `pause_start`/`pause_end` bound the hesitation the turn must survive."""

    name: str
    split: str
    voice: str
    kind: str  # "paused" or "complete"
    text: str
    pcm: Pcm
    speech_end: float
    pause_start: float | None = None
    pause_end: float | None = None

    def describe(self) -> dict[str, Any]:
        pause = None if self.pause_start is None or self.pause_end is None else round(self.pause_end - self.pause_start, 2)
        return {"name": self.name, "split": self.split, "voice": self.voice, "kind": self.kind, "pause_seconds": pause}


def split_of(position: int) -> str:
    return "dev" if position % 2 == 0 else "test"


def pause_seconds(position: int, voice_index: int) -> float:
    """300-900 ms in 100 ms steps, spread over sentences and voices by a fixed rule."""
    return 0.3 + ((position * 3 + voice_index * 2) % 7) / 10


def loud_frames(pcm: Pcm) -> np.ndarray:
    frames = pcm[: len(pcm) // FRAME * FRAME].reshape(-1, FRAME).astype(np.float64)
    loud: np.ndarray = np.sqrt((frames**2).mean(axis=1)) > LOUD
    return loud


def widest_gap(pcm: Pcm) -> tuple[int, int] | None:
    """Sample bounds of the longest quiet stretch inside the speech (the comma's gap)."""
    loud = loud_frames(pcm)
    voiced = np.flatnonzero(loud)
    if not len(voiced):
        return None
    best: tuple[int, int] | None = None
    start = None
    for i in range(int(voiced[0]), int(voiced[-1]) + 1):
        if not loud[i] and start is None:
            start = i
        elif loud[i] and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return None if best is None else (best[0] * FRAME, best[1] * FRAME)


def trim(pcm: Pcm) -> Pcm:
    voiced = np.flatnonzero(loud_frames(pcm))
    return pcm[int(voiced[0]) * FRAME: (int(voiced[-1]) + 1) * FRAME] if len(voiced) else pcm


def on_the_line(speech: Pcm, seed: int) -> Pcm:
    """Lead and tail silence, faint hiss, then µ-law and back, as a phone call carries it."""
    padded = np.concatenate([np.zeros(int(LEAD_SECONDS * RATE)), speech.astype(np.float64),
                             np.zeros(int(TAIL_SECONDS * RATE))])
    padded += np.random.default_rng(seed).normal(0.0, NOISE_RMS, len(padded))
    return ulaw_decode(ulaw_encode(np.clip(padded, -32768, 32767).astype(np.int16)))


def paused(speech: Pcm, pause: float) -> tuple[Pcm, int, int] | None:
    """The sentence with its comma gap replaced by `pause` seconds of silence, and its bounds."""
    gap = widest_gap(speech)
    if gap is None:
        return None
    start, end = gap
    silence = np.zeros(int(pause * RATE), dtype=np.int16)
    return np.concatenate([speech[:start], silence, speech[end:]]).astype(np.int16), start, start + len(silence)


def espeak(text: str, voice: str, workdir: Path) -> Pcm:
    path = workdir / f"espeak-{voice}-{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(path), text], check=True, capture_output=True)
    return read_wav_8k(path)


def _piper(tts: Any, text: str) -> Pcm:
    return asyncio.run(piper_audio(tts, text))


def _voices(workdir: Path, piper: Any | None) -> Iterator[tuple[str, Any]]:
    if piper is not None:
        yield "piper-joe", lambda text: _piper(piper, text)
    for voice in ESPEAK_VOICES:
        yield f"espeak-{voice}", lambda text, v=voice: espeak(text, v, workdir)


def build(workdir: Path, piper: Any | None = None) -> list[Item]:
    """Every sentence in every voice, paused and complete, on the line."""
    items: list[Item] = []
    for v, (voice, say) in enumerate(_voices(workdir, piper)):
        for position, (head, tail) in enumerate(SENTENCES):
            split, seed = split_of(position), position * 10 + v
            whole = trim(say(f"{head} {tail}."))
            line = on_the_line(whole, seed)
            items.append(Item(f"{voice}/{position}/complete", split, voice, "complete", f"{head} {tail}.", line,
                              LEAD_SECONDS + len(whole) / RATE))
            made = paused(trim(say(f"{head}, {tail}.")), pause_seconds(position, v))
            if made is None:
                continue
            speech, start, end = made
            items.append(Item(f"{voice}/{position}/paused", split, voice, "paused", f"{head}… {tail}.",
                              on_the_line(speech, seed + 5), LEAD_SECONDS + len(speech) / RATE,
                              LEAD_SECONDS + start / RATE, LEAD_SECONDS + end / RATE))
    return items
