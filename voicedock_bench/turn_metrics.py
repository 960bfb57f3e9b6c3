"""Pure measurements for the turn benchmark: when audio starts and stops, word error rate, summaries.

`frames` are (time, rms) pairs in arrival order, one per 20 ms frame, as `SipCall.heard` keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Frames = Sequence[tuple[float, float]]

_NUMBERS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
            "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12"}


def voice_starts(frames: Frames, after: float, level: float, run: int = 2) -> float | None:
    """Arrival time of the first of `run` consecutive frames at or above `level`, at or after `after`."""
    count = 0
    for i, (t, rms) in enumerate(frames):
        if t < after:
            continue
        count = count + 1 if rms >= level else 0
        if count == run:
            return frames[i - run + 1][0]
    return None


def voice_stops(frames: Frames, after: float, level: float, quiet: float) -> float | None:
    """End of the last loud frame at or after `after` that is followed by `quiet` seconds without one.

    None while no such quiet stretch has been seen yet (the audio may still be going on).
    """
    last_loud: float | None = None
    for t, rms in frames:
        if t < after:
            continue
        if last_loud is not None and t - last_loud >= quiet:
            return last_loud + 0.020
        if rms >= level:
            last_loud = t
    if last_loud is not None and frames and frames[-1][0] - last_loud >= quiet:
        return last_loud + 0.020
    return None


def loud_between(frames: Frames, start: float, end: float, level: float) -> bool:
    return any(start <= t < end and rms >= level for t, rms in frames)


def pause_time(frames: Frames, onset: float, level: float, quiet: float = 0.2) -> float | None:
    """Seconds from the caller's speech onset until the assistant's voice stopped at the caller
    (its last loud frame before `quiet` seconds without one); None when it was not speaking then
    (no loud frame in the 60 ms before the onset: a gap between its sentences)."""
    if not loud_between(frames, onset - 0.06, onset + 0.02, level):
        return None
    stopped = voice_stops(frames, onset - 0.3, level, quiet)
    return None if stopped is None else stopped - onset


def words(text: str) -> list[str]:
    """Lower-case words with punctuation dropped and small number words as digits ("seven" = "7")."""
    text = text.lower().replace("-", " ")
    tokens = re.findall(r"[a-z0-9']+", text)
    return [_NUMBERS.get(w, w) for w in (t.strip("'") for t in tokens) if w]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words): word-level Levenshtein distance."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1], len(ref)


def wer(pairs: Iterable[tuple[str, str]]) -> float | None:
    """Corpus WER over (reference, hypothesis) pairs: all errors over all reference words."""
    errors = total = 0
    for reference, hypothesis in pairs:
        e, n = word_errors(reference, hypothesis)
        errors, total = errors + e, total + n
    return errors / total if total else None


def summary(values: Sequence[float], digits: int = 1) -> dict[str, Any]:
    """n, p50, p95, mean, min and max of `values` (None figures when there are none)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    data = np.asarray(values, dtype=np.float64)
    return {"n": len(values), "p50": round(float(np.percentile(data, 50)), digits),
            "p95": round(float(np.percentile(data, 95)), digits), "mean": round(float(data.mean()), digits),
            "min": round(float(data.min()), digits), "max": round(float(data.max()), digits)}


def server_latency(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The per-turn latency entries a call's record stores (none before the record is read)."""
    return list((record or {}).get("latency") or [])
