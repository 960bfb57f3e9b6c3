"""Voicemail detection benchmark: accuracy and decision time on the labelled answers of
`voicemail_set`, through the same per-frame reading of audio that calls use.

    python -m voicedock_bench.voicemail [--models-dir DIR] [--tune] [--out FILE]

Prints one JSON object (with the machine) and writes it to --out. Figures per split; the `test`
split was never used for tuning. `--tune` searches the detector's two thresholds on `dev` alone
and reports the best pair (most correct, then the shortest wait for people) beside the figures of
the settings in the code.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voicedock.audio import FRAME_SAMPLES
from voicedock.voicemail.detector import DetectorSettings, Verdict, VoicemailDetector
from voicedock.voicemail.greeting_end import Ending, GreetingEnd
from voicedock.voicemail.screen import feed_detector, feed_greeting_end

from .machine import describe
from .voicemail_set import RATE, Item, build, missing_sources

FRAME_SECONDS = FRAME_SAMPLES / RATE


@dataclass(frozen=True)
class Outcome:
    item: Item
    verdict: Verdict | None
    decided_at: float  # seconds after the answer
    message_at: float | None = None  # machines judged machines: when the message starts
    ending: Ending | None = None


def classify(item: Item, settings: DetectorSettings) -> Outcome:
    detector, greeting = VoicemailDetector(settings), GreetingEnd()
    verdict: Verdict | None = None
    decided_at, at = 0.0, 0.0
    for start in range(0, len(item.pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        frame = item.pcm[start:start + FRAME_SAMPLES]
        at += FRAME_SECONDS
        if verdict is None:
            verdict = feed_detector(detector, frame, FRAME_SECONDS)
            decided_at = at
            if verdict is Verdict.HUMAN:
                return Outcome(item, verdict, at)
            continue
        ending = feed_greeting_end(greeting, frame, FRAME_SECONDS)
        if ending is not None:
            return Outcome(item, verdict, decided_at, at, ending)
    return Outcome(item, verdict, decided_at if verdict else at)


def _stats(values: list[float]) -> dict[str, Any] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"n": len(values), "median": round(statistics.median(ordered), 3),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
            "max": round(ordered[-1], 3)}


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    humans = [o for o in outcomes if o.item.label == "human"]
    machines = [o for o in outcomes if o.item.label == "machine"]
    right = [o for o in outcomes if o.verdict is not None and o.verdict.value == o.item.label]
    caught = [o for o in machines if o.verdict is Verdict.MACHINE]
    beeped = [o for o in caught if o.message_at is not None and o.item.beep_end is not None]
    return {
        "n": len(outcomes), "accuracy": round(len(right) / len(outcomes), 3) if outcomes else None,
        "humans": {"n": len(humans), "taken_for_machine": sorted(o.item.name for o in humans
                                                                 if o.verdict is not Verdict.HUMAN)},
        "machines": {"n": len(machines), "taken_for_human": sorted(o.item.name for o in machines
                                                                   if o.verdict is not Verdict.MACHINE)},
        "human_decision_seconds_after_answer": _stats([o.decided_at for o in humans if o.verdict is Verdict.HUMAN]),
        "human_wait_seconds_after_their_words": _stats(
            [o.decided_at - o.item.speech_end for o in humans if o.verdict is Verdict.HUMAN]),
        "machine_decision_seconds_after_answer": _stats([o.decided_at for o in caught]),
        "message_start_after_beep_end_seconds": _stats(
            [o.message_at - o.item.beep_end for o in beeped]),  # type: ignore[operator]
        "message_over_greeting": sorted(o.item.name for o in beeped
                                        if o.message_at < o.item.beep_end),  # type: ignore[operator]
    }


def evaluate(items: list[Item], settings: DetectorSettings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        out[split] = summarise([classify(i, settings) for i in items if i.split == split])
    return out


MACHINE_GRID = [round(1.6 + 0.2 * k, 2) for k in range(8)]  # 1.6 .. 3.0 s
SILENCE_GRID = [round(0.4 + 0.1 * k, 2) for k in range(7)]  # 0.4 .. 1.0 s


def tune(items: list[Item], base: DetectorSettings) -> dict[str, Any]:
    """Grid search on dev only. Of the pairs as correct as the best, those whose four neighbours on
    the grid are too (a step from every edge, so a slightly different voice does not tip them); of
    those, the shortest wait for people, then the quickest machine verdict."""
    dev = [i for i in items if i.split == "dev"]
    accuracy = {}
    for machine in MACHINE_GRID:
        for silence in SILENCE_GRID:
            settings = replace(base, machine_seconds=machine, human_silence_seconds=silence)
            accuracy[machine, silence] = summarise([classify(i, settings) for i in dev])["accuracy"]
    best = max(accuracy.values())

    def steady(m: int, s: int) -> bool:
        near = [(m + dm, s + ds) for dm, ds in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))]
        return all(0 <= a < len(MACHINE_GRID) and 0 <= b < len(SILENCE_GRID)
                   and accuracy[MACHINE_GRID[a], SILENCE_GRID[b]] == best for a, b in near)

    chosen = sorted((SILENCE_GRID[s], MACHINE_GRID[m]) for m in range(len(MACHINE_GRID))
                    for s in range(len(SILENCE_GRID)) if steady(m, s))
    grid = {f"{m}": [accuracy[m, s] for s in SILENCE_GRID] for m in MACHINE_GRID}
    pick = {"machine_seconds": chosen[0][1], "human_silence_seconds": chosen[0][0]} if chosen else None
    return {"best_dev_accuracy": best, "pick": pick, "silence_grid": SILENCE_GRID, "accuracy_by_machine_seconds": grid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicedock_bench.voicemail", description=__doc__)
    parser.add_argument("--models-dir", type=Path, help="models directory: adds the profile's Piper voice")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--tune", action="store_true", help="search the thresholds on dev")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "voicedock-voicemail-set")
    parser.add_argument("--out", type=Path, default=Path("bench-results/voicemail.json"))
    args = parser.parse_args(argv)
    missing = missing_sources()
    if missing:
        print("error: " + "; ".join(missing), file=sys.stderr)
        return 2
    piper = None
    if args.models_dir is not None:
        from .utterances import piper_voice

        piper = piper_voice(args.profile, args.models_dir)
    items = build(args.work, piper)
    settings = DetectorSettings()
    result: dict[str, Any] = {
        "benchmark": "voicemail-detection", "machine": describe(),
        "settings": settings.__dict__, "voices": sorted({i.voice for i in items}),
        "items": {split: {label: sum(1 for i in items if i.split == split and i.label == label)
                          for label in ("human", "machine")} for split in ("dev", "test")},
        **evaluate(items, settings),
    }
    if args.tune:
        result["tuned_on_dev"] = tune(items, settings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
