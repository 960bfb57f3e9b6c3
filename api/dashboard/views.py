"""What the call pages show, computed apart from HTTP: the transcript as one timeline with tool calls
in place, the per-turn latency chart's geometry, and the formats of times, durations and costs."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from voicedock.timeutil import parse_iso

# (latency entry field, legend label, CSS class), bottom of the bar first: the order a turn runs through them
STAGES = (
    ("endpointing_ms", "Endpointing", "seg-endpointing"),
    ("stt_ms", "STT", "seg-stt"),
    ("llm_ttft_ms", "LLM first token", "seg-llm"),
    ("tts_ttfb_ms", "TTS first audio", "seg-tts"),
)
SPEAKERS = {"user": "Caller", "assistant": "Assistant", "dtmf": "Keypad", "system": "System"}


@dataclass(frozen=True)
class Line:
    """One transcript line: `kind` is "message" or "tool"; `at` the seconds since the call started."""

    kind: str
    at: str = ""
    stamp: str = ""
    speaker: str = ""
    role: str = ""
    text: str = ""
    interrupted: bool = False
    tool: Mapping[str, Any] = field(default_factory=dict)
    arguments: str = ""


def _parse(stamp: Any) -> datetime | None:
    """The store's ISO time, or None for a missing or malformed one (a page never fails on it)."""
    try:
        return parse_iso(str(stamp))
    except ValueError:
        return None


def clock(seconds: float | None) -> str:
    """m:ss (h:mm:ss past an hour), as a player or a transcript shows times."""
    if seconds is None or seconds < 0:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def money(cost: float | None) -> str:
    return "" if cost is None else f"{cost:.4f}"


def _tool_line(tool: Mapping[str, Any]) -> Line:
    args = json.dumps(tool.get("arguments") or {}, ensure_ascii=False, sort_keys=True)
    return Line(kind="tool", speaker="Tool", tool=tool, arguments=args)


def timeline(messages: Sequence[Mapping[str, Any]], tool_calls: Sequence[Mapping[str, Any]],
             started_at: str | None) -> list[Line]:
    """Messages in order, each tool call right after the caller turn it answered (its `turn` counts
    the caller's turns so far); tool calls without one come last."""
    start = _parse(started_at) if started_at else None
    if start is None and messages:
        start = _parse(messages[0].get("time"))
    by_turn: dict[int, list[Mapping[str, Any]]] = {}
    unplaced: list[Mapping[str, Any]] = []
    for tool in tool_calls:
        turn = tool.get("turn")
        (by_turn.setdefault(turn, []) if isinstance(turn, int) else unplaced).append(tool)
    lines: list[Line] = [_tool_line(t) for t in by_turn.pop(0, [])]
    caller_turns = 0
    for m in messages:
        role = str(m.get("role", ""))
        when = _parse(m.get("time"))
        at = clock((when - start).total_seconds()) if when and start else ""
        lines.append(Line(kind="message", at=at, stamp=str(m.get("time") or ""), role=role,
                          speaker=SPEAKERS.get(role, role.title()), text=str(m.get("content", "")),
                          interrupted=bool(m.get("interrupted"))))
        if role == "user":
            caller_turns += 1
            lines.extend(_tool_line(t) for t in by_turn.pop(caller_turns, []))
    for rest in by_turn.values():
        unplaced.extend(rest)
    lines.extend(_tool_line(t) for t in unplaced)
    return lines


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A stacked bar per turn, in SVG user units (the page scales it to its width)."""

    width: int
    height: int
    plot_left: int
    plot_bottom: int
    segments: list[Segment]
    ticks: list[Tick]
    labels: list[tuple[float, str]]
    turns: int


def _nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 × 10^n at or above `value`, so the axis reads in round numbers."""
    if value <= 0:
        return 100.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


Stage = tuple[str, str, str]  # (entry field, legend label, CSS class)


def bar_chart(entries: Sequence[Mapping[str, Any]], stages: Sequence[Stage], unit: str,
              names: Sequence[str] | None = None, axis: Sequence[str] | None = None,
              width: int = 640, height: int = 240, digits: int = 0) -> Chart:
    """A stacked bar per entry, stages bottom up, on an axis rounded up to 1, 2 or 5 × 10^n `unit`;
    `names` title the bars, `axis` (the names, when not given) label them under the axis."""
    left, right, top, bottom = 56, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(float(e.get(name) or 0) for name, _, _ in stages) for e in entries]
    ceiling = _nice_ceiling(max(totals, default=0.0))
    slot = plot_w / max(len(entries), 1)
    bar = max(2.0, slot * 0.7)
    names = names or [str(i + 1) for i in range(len(entries))]
    axis = axis or names
    segments: list[Segment] = []
    labels: list[tuple[float, str]] = []
    every = max(1, math.ceil(len(entries) / 16))  # at most about 16 names under the axis
    for i, entry in enumerate(entries):
        x = left + i * slot + (slot - bar) / 2
        y = float(top + plot_h)
        for name, label, css in stages:
            value = float(entry.get(name) or 0)
            h = value / ceiling * plot_h
            y -= h
            if h > 0:
                segments.append(Segment(round(x, 1), round(y, 1), round(bar, 1), round(h, 1), css,
                                        f"{names[i]}: {label} {value:.{digits}f} {unit}".rstrip()))
        if i % every == 0:
            labels.append((round(x + bar / 2, 1), axis[i]))
    ticks = [Tick(round(top + plot_h - f * plot_h, 1), f"{ceiling * f:g} {unit}") for f in (0, 0.5, 1)]
    return Chart(width, height, left, top + plot_h, segments, ticks, labels, len(entries))


def latency_chart(entries: Sequence[Mapping[str, Any]]) -> Chart:
    turns = range(1, len(entries) + 1)
    return bar_chart(entries, STAGES, "ms", [f"Turn {n}" for n in turns], [str(n) for n in turns])


def latency_rows(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The chart's figures as table rows, for screen readers and exact values."""
    return [{"turn": i + 1, **{name: float(e.get(name) or 0) for name, _, _ in STAGES},
             "total_ms": float(e.get("total_ms") or 0), "abandoned": e.get("abandoned")}
            for i, e in enumerate(entries)]


USAGE_STAGES: tuple[Stage, ...] = (("minutes", "Minutes", "seg-minutes"),)
COST_STAGES: tuple[Stage, ...] = (("cost", "Cost", "seg-cost"),)


def daily_usage(rows: Sequence[Mapping[str, Any]], first: date, days: int) -> list[dict[str, Any]]:
    """Minutes, cost and calls per UTC day from `first`, every day present (a quiet day is a zero bar)."""
    per_day: dict[date, dict[str, Any]] = {
        first + timedelta(days=i): {"day": (first + timedelta(days=i)).isoformat(), "minutes": 0.0, "cost": 0.0,
                                    "calls": 0}
        for i in range(days)}
    for row in rows:
        stamp = _parse(row.get("created_at"))
        bucket = per_day.get(stamp.date()) if stamp else None
        if bucket is not None:
            bucket["minutes"] += float(row.get("duration_sec") or 0) / 60
            bucket["cost"] += float(row.get("cost") or 0)
            bucket["calls"] += 1
    return list(per_day.values())
