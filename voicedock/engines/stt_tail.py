"""A transcript that stopped before the speech did, decoded again in two halves.

Whisper's decoder sometimes ends a transcript long before the audio's speech ends: tiny.en heard
"Sure. S D, oh four, double seven, one nine, oh eight." (2.6 s of voice through the 8 kHz line)
as "Sure SD 04." on every try, and a tracking number, a phone number or an email address said at
the end of a turn is lost with it. Such a transcript has far fewer words (a digit counts as one)
than its seconds of voice could hold: under 2 a second where whole transcripts of the grounding
set's dev caller lines had 2.6 or more (Piper) and 2.1 or more (espeak-ng, but for two that had
lost their ends too). The audio is then split at its widest pause near the middle, each half is
decoded on its own, and the longer reading is kept: "Sure SD 04. Double seven, one nine, oh
eight."
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

FRAME_SECONDS = 0.02
VOICE_RMS = 300.0  # a 16-bit frame this loud is voice, not the line's hiss
MIN_VOICED_SECONDS = 2.0  # shorter turns leave too little to judge by
MIN_WORDS_PER_SECOND = 2.0
MIN_GAP_FRAMES = 5  # a pause of 100 ms or more to split at
_WORDS = re.compile(r"[A-Za-z']+|\d")


def voiced_frames(pcm16: np.ndarray, rate: int) -> np.ndarray:
    """Per 20 ms frame, whether it is loud enough to be voice."""
    size = max(1, int(rate * FRAME_SECONDS))
    usable = len(pcm16) // size * size
    frames = pcm16[:usable].astype(np.float64).reshape(-1, size)
    return np.sqrt((frames**2).mean(axis=1)) > VOICE_RMS if usable else np.zeros(0, dtype=bool)


def stopped_early(text: str, voiced: np.ndarray) -> bool:
    """Whether `text` holds too few words for the voice in its audio."""
    seconds = float(voiced.sum()) * FRAME_SECONDS
    return seconds >= MIN_VOICED_SECONDS and _count(text) < MIN_WORDS_PER_SECOND * seconds


def split_point(voiced: np.ndarray) -> int | None:
    """The frame in the middle of the widest pause between a fifth and four fifths of the voice,
    the nearer the middle the better (None when there is no such pause)."""
    spoken = np.flatnonzero(voiced)
    if len(spoken) < 2:
        return None
    first, last = int(spoken[0]), int(spoken[-1])
    best: tuple[float, int] | None = None
    run = 0
    for i in range(first, last + 1):
        if not voiced[i]:
            run += 1
            continue
        if run >= MIN_GAP_FRAMES:
            middle = i - run // 2
            share = (middle - first) / (last - first)
            score = run * (1.0 - abs(share - 0.5))
            if 0.2 < share < 0.8 and (best is None or score > best[0]):
                best = (score, middle)
        run = 0
    return None if best is None else best[1]


def whole_reading(text: str, pcm16: np.ndarray, rate: int, decode: Callable[[np.ndarray], str]) -> str:
    """`text`, or where it stopped early, a reading of both halves when that has more words. The
    half whose reading shares more words with `text` is the one it read; where it read the first
    and holds as many words as that half's reading, its own reading of it is kept (decoded alone,
    the half's end may come out otherwise: "SD 04" as "SD L4")."""
    voiced = voiced_frames(pcm16, rate)
    if not stopped_early(text, voiced):
        return text
    cut = split_point(voiced)
    if cut is None:
        return text
    at = cut * max(1, int(rate * FRAME_SECONDS))
    first, second = decode(pcm16[:at]).strip(), decode(pcm16[at:]).strip()
    said, head, tail = _bag(text), _bag(first), _bag(second)
    if len(said & tail) > len(said & head):  # it read the second half: the first goes before it
        halves = " ".join(part for part in (first, text) if part)
    else:  # it read the first half, or a part of it
        halves = " ".join(part for part in (text if _count(first) <= _count(text) else first, second) if part)
    return halves if _count(halves) > _count(text) else text


def _count(text: str) -> int:
    return len(_WORDS.findall(text))


def _bag(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(text)}
