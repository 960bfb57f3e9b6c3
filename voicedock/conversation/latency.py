"""A turn's latency entry, also for a turn the caller gave up on.

A turn reports its latency once its reply is written and its first audio has gone out. A caller
who hangs up or speaks again before that (the assistant slow to answer, or silent after its first
words while two calls share the cores) used to leave no entry, so the slowest turns vanished from
the call record and the metrics. Such a turn's entry holds what was measured up to that moment,
the reason it ended, and how long the caller had been left waiting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .speech import Timings

# (figure, start mark, end mark), in the order a turn reaches them
STAGES = (
    ("endpointing_ms", "voice_end", "endpoint"),
    ("stt_ms", "stt_start", "stt_end"),
    ("llm_ttft_ms", "stt_end", "llm_first_token"),
    ("tts_ttfb_ms", "tts_start", "first_audio"),
)


class Abandoned(StrEnum):
    """Why a caller turn ended before its reply was out (the entry's `abandoned` field)."""

    HANGUP = "hangup"  # the call ended: the caller hung up (or the line dropped)
    BARGE_IN = "barge-in"  # the caller spoke again, before the reply's first audio or over it
    STOPPED = "stopped"  # the assistant's side cut it: an end-call or transfer command, the time limit


def turn_entry(timings: Timings) -> dict[str, float]:
    """An answered turn: every stage, and `total_ms` from the caller's last voice to the first audio."""
    entry = {name: timings.ms(start, end) for name, start, end in STAGES}
    entry["total_ms"] = timings.ms(_wait_start(timings), "first_audio")
    return entry


def abandoned_entry(timings: Timings, why: Abandoned, at: float) -> dict[str, Any]:
    """A turn given up on at `at`: the stage it was in counts up to then, stages never reached are 0,
    `total_ms` runs to the first audio (to `at` when none went out), and `waited_ms` is how long the
    caller had heard nothing from the assistant when it ended (0 while its audio was playing)."""
    marks = dict(timings.marks)
    begun = [(start, end) for _, start, end in STAGES if start in marks]
    if begun and begun[-1][1] not in marks:
        marks[begun[-1][1]] = at  # the stage running when the caller gave up
    entry: dict[str, Any] = {name: _ms(marks, start, end) for name, start, end in STAGES}
    start = _wait_start(timings)
    entry["total_ms"] = _ms(marks | {"first_audio": marks.get("first_audio", at)}, start, "first_audio")
    silent_since = max(marks.get(start, at), timings.audio_until)
    entry["waited_ms"] = round(max(0.0, at - silent_since) * 1000.0, 1)
    entry["abandoned"] = str(why)
    return entry


def _wait_start(timings: Timings) -> str:
    """A caller turn is waited for from the caller's last voice; a triggered reply from its start."""
    return "voice_end" if "voice_end" in timings.marks else "stt_start"


def _ms(marks: dict[str, float], start: str, end: str) -> float:
    if start not in marks or end not in marks:
        return 0.0
    return round(max(0.0, marks[end] - marks[start]) * 1000.0, 1)
