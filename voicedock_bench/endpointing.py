"""How often the caller is cut off in a mid-sentence pause, and how long a finished sentence waits
for its turn to end: the old fixed wait against the end-of-turn model, on the false-cut-off set.

    python -m voicedock_bench.endpointing --models-dir DIR [--profile cpu] [--tune] [--out FILE]

Each utterance is replayed frame by frame through the same pieces a call uses (the VAD with the
listener's energy floor, the `Endpointer`, the model on the audio up to the last voiced frame);
a model verdict takes effect after the time its inference really took on this machine. Prints
one JSON object with the machine; `--tune` adds the grid searched on the dev split.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from voicedock.audio import rms
from voicedock.conversation.listener import ENERGY_FLOOR, PAUSE_SECONDS, PREROLL_SECONDS, TURN_PREROLL_SECONDS
from voicedock.engines.endpointing import Endpointer, EndpointEvent, WordsRule, end_verdict
from voicedock.engines.loader import build_stt, build_tts, build_turn, build_vad, read_manifest
from voicedock.engines.vad_webrtc import WebRtcVad

from .machine import describe
from .pause_set import FRAME, RATE, Item, build

T = TypeVar("T")
STEP = FRAME / RATE
GOAL_CUTOFF_RATE = 0.03
OLD_WAIT = 0.4


@dataclass(frozen=True)
class Config:
    name: str
    vad: str  # "webrtc" or "silero"
    wait_seconds: float  # the fixed wait; with the model, the longest one
    model: bool = False
    threshold: float = 0.5
    check_seconds: float = 0.2
    text_gate: bool = False  # a "finished" verdict is dropped while the words so far end mid-phrase
    words_rule: WordsRule | None = None  # ... and the words model's verdict counts too, read by this rule
    mid_phrase_wait_seconds: float = 0.0  # the longest wait once the words stop mid-phrase


class Timed(Generic[T]):
    """A model's answer per (utterance, audio span), timed once and cached: the turn model's
    probability (`Model`), or the STT's transcript of the utterance so far (`Words`), which the
    session begins at the caller's first short pause (`PAUSE_SECONDS`)."""

    def __init__(self, run: Callable[[np.ndarray, int], T]) -> None:
        self.run = run
        self.cache: dict[tuple[str, int, int], tuple[T, float]] = {}

    def ask(self, item: Item, start: int, end: int) -> tuple[T, float]:
        key = (item.name, start, end)
        if key not in self.cache:
            began = time.perf_counter()
            answer = self.run(item.pcm[start * FRAME: end * FRAME], RATE)
            self.cache[key] = (answer, time.perf_counter() - began)
        return self.cache[key]


Model = Timed[float]
Words = Timed[str]


class Judge:
    """The words model's probability that a transcript ends a sentence, timed once per text."""

    def __init__(self, model: Any) -> None:
        self.model, self.rule = model, WordsRule.of(model)
        self.cache: dict[str, tuple[float, float]] = {}

    def ask(self, text: str) -> tuple[float, float]:
        if text not in self.cache:
            started = time.perf_counter()
            value = self.model.predict(text)
            self.cache[text] = (value, time.perf_counter() - started)
        return self.cache[text]


def words_ready(item: Item, end: float, stt_start: int, voice_end: int, words: Words | None) -> float:
    """When the turn's transcript is there, for a turn that ended at `end`: the session began it at
    `PAUSE_SECONDS` into the silence the turn ended in, and the reply cannot start before it."""
    if words is None:
        return end
    paused_at = voice_end + round(PAUSE_SECONDS / STEP)
    _, took = words.ask(item, stt_start, paused_at)
    return max(end, paused_at * STEP + took)


def first_end(item: Item, speech: list[bool], config: Config, model: Model | None,
              words: Words | None = None, judge: Judge | None = None) -> tuple[float, float] | None:
    """When the caller's turn first ends (seconds into the item) and when its transcript is ready,
    or None if it never ends."""
    endpointer = Endpointer(wait_seconds=config.wait_seconds, timeout_seconds=0.0,
                            check_seconds=(config.check_seconds,) if config.model else (),
                            mid_phrase_wait_seconds=config.mid_phrase_wait_seconds)
    pending: list[tuple[float, int, bool, bool]] = []
    start = stt_start = voice_end = 0
    for i, is_speech in enumerate(speech):
        now = (i + 1) * STEP
        for due, pause, finished, mid_phrase in sorted(pending):
            if due <= now:
                pending.remove((due, pause, finished, mid_phrase))
                if endpointer.verdict(pause, finished) is EndpointEvent.SPEECH_ENDED:
                    return due, words_ready(item, due, stt_start, voice_end, words)
                if mid_phrase:
                    endpointer.hold_open(pause)
        was_speaking = endpointer.in_speech
        event = endpointer.process(STEP, is_speech)
        if is_speech and was_speaking:
            voice_end = i + 1
        if event is EndpointEvent.SPEECH_STARTED:
            start = max(0, i + 1 - round((endpointer.min_speech_seconds + TURN_PREROLL_SECONDS) / STEP))
            stt_start = max(0, i + 1 - round((endpointer.min_speech_seconds + PREROLL_SECONDS) / STEP))
            voice_end = i + 1
        elif event is EndpointEvent.SPEECH_ENDED:
            return now, words_ready(item, now, stt_start, voice_end, words)
        elif event is EndpointEvent.PAUSE_CHECK and model is not None:
            probability, took = model.ask(item, start, voice_end)
            due = now + took
            finished, mid_phrase = probability >= config.threshold, False
            lm = judge if config.words_rule is not None else None
            if config.text_gate and words is not None and (finished or lm is not None):
                paused_at = i + 1 - round((config.check_seconds - PAUSE_SECONDS) / STEP)
                text, stt_took = words.ask(item, stt_start, paused_at)
                p_end, lm_took = lm.ask(text) if lm is not None else (None, 0.0)
                due = max(due, paused_at * STEP + stt_took + lm_took)
                finished, mid_phrase = end_verdict(probability, config.threshold, text, p_end,
                                                   config.words_rule or WordsRule())
            pending.append((due, endpointer.pause, finished, mid_phrase))
    return None


def vad_decisions(item: Item, detector: Any) -> list[bool]:
    frames = [item.pcm[i: i + FRAME] for i in range(0, len(item.pcm) - FRAME + 1, FRAME)]
    return [bool(detector.is_speech(f, RATE)) and rms(f) >= ENERGY_FLOOR for f in frames]


def _ms(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered) * 1000), "p90": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000),
            "mean": round(statistics.fmean(ordered) * 1000), "max": round(ordered[-1] * 1000)}


def score(items: list[Item], decisions: dict[str, dict[str, list[bool]]], config: Config,
          model: Model | None, words: Words | None = None, judge: Judge | None = None) -> dict[str, Any]:
    """False cut-offs (the turn ended before the caller's last word), end-of-turn delay and, with
    the model, the delay until the turn's transcript is ready (the earliest a reply can begin)."""
    out: dict[str, Any] = {}
    words = words if config.model else None
    for kind in ("paused", "complete"):
        chosen = [i for i in items if i.kind == kind]
        cut, delays, ready, longest = 0, [], [], 0
        for item in chosen:
            ended = first_end(item, decisions[config.vad][item.name], config, model, words, judge)
            if ended is None or ended[0] < item.speech_end:
                cut += ended is not None
                continue
            delays.append(ended[0] - item.speech_end)
            ready.append(ended[1] - item.speech_end)
            longest += ended[0] - item.speech_end >= config.wait_seconds - 0.05 and config.model
        out[kind] = {"n": len(chosen), "cut_off": cut, "cut_off_rate": round(cut / len(chosen), 3) if chosen else None,
                     "end_of_turn_delay_ms": _ms(delays), "waited_the_longest": int(longest)}
        if words is not None:
            out[kind]["transcript_ready_ms"] = _ms(ready)
    return out


def tune(items: list[Item], decisions: dict[str, dict[str, list[bool]]], model: Model) -> dict[str, Any]:
    """Grid on dev: the shortest mean wait after complete utterances with cut-offs within the goal."""
    dev = [i for i in items if i.split == "dev"]
    grid = []
    for threshold in (0.3, 0.5, 0.7, 0.8, 0.9):
        for wait in (1.0, 1.5, 2.0):
            config = Config(f"t{threshold}-w{wait}", "silero", wait, True, threshold)
            result = score(dev, decisions, config, model)
            grid.append({"threshold": threshold, "max_wait_seconds": wait, **result})
    ok = [g for g in grid if (g["paused"]["cut_off_rate"] or 0) <= GOAL_CUTOFF_RATE and g["complete"]["end_of_turn_delay_ms"]]
    best = min(ok, key=lambda g: g["complete"]["end_of_turn_delay_ms"]["mean"]) if ok else None
    return {"grid": grid, "chosen": None if best is None else {"threshold": best["threshold"],
                                                               "max_wait_seconds": best["max_wait_seconds"]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--no-piper", action="store_true", help="espeak-ng voices only")
    parser.add_argument("--out", type=Path, default=Path("bench-results/endpointing.json"))
    args = parser.parse_args(argv)
    machine = describe()
    manifest = read_manifest(args.models_dir)
    profile = manifest["profiles"][args.profile]
    turn = build_turn(profile["turn"], manifest, args.models_dir)
    silero = build_vad(profile["vad"], manifest, args.models_dir)
    if turn is None or not hasattr(silero, "stream"):
        print(json.dumps({"error": f"profile {args.profile} has no end-of-turn model or Silero VAD"}))
        return 1
    piper = None if args.no_piper else build_tts(profile["tts"], manifest, args.models_dir)
    with tempfile.TemporaryDirectory() as work:
        items = build(Path(work), piper)
    decisions = {"webrtc": {i.name: vad_decisions(i, WebRtcVad(2)) for i in items},
                 "silero": {i.name: vad_decisions(i, silero.stream()) for i in items}}
    model = Model(turn.predict)  # type: ignore[attr-defined]
    stt = build_stt(profile["stt"], manifest, args.models_dir)
    words = Words(lambda pcm, rate: stt.transcribe_sync(pcm, rate).text)  # type: ignore[attr-defined]
    configs = [Config(f"fixed {OLD_WAIT} s, WebRTC VAD (before)", "webrtc", OLD_WAIT),
               Config(f"fixed {OLD_WAIT} s, Silero VAD", "silero", OLD_WAIT),
               Config(f"Smart Turn (threshold {turn.threshold}, longest wait {turn.max_wait_seconds} s), Silero VAD",
                      "silero", turn.max_wait_seconds, True, turn.threshold, turn.check_seconds[0]),
               Config(f"Smart Turn (threshold {turn.threshold}, longest wait {turn.max_wait_seconds} s) and the words "
                      "so far, Silero VAD", "silero", turn.max_wait_seconds, True, turn.threshold,
                      turn.check_seconds[0], text_gate=True)]
    words_model = getattr(turn, "words", None)
    judge = Judge(words_model) if words_model is not None else None
    if judge is not None:
        # each row adds one reading of the words to the row before it, up to the profile's own rule
        rule = judge.rule
        row = Config(f"Smart Turn (threshold {turn.threshold}, longest wait {turn.max_wait_seconds} s), the words so "
                     f"far and the words model (unfinished below {rule.unfinished_below}, finished from "
                     f"{rule.finished_from}), Silero VAD", "silero", turn.max_wait_seconds, True, turn.threshold,
                     turn.check_seconds[0], text_gate=True,
                     words_rule=WordsRule(rule.unfinished_below, rule.finished_from))
        configs.append(row)
        mid_phrase = turn.mid_phrase_wait_seconds
        if mid_phrase > turn.max_wait_seconds:
            row = replace(row, name=f"the same, and a pause whose words stop mid-phrase waits up to {mid_phrase} s",
                          mid_phrase_wait_seconds=mid_phrase)
            configs.append(row)
        if rule.unsure_voice_threshold > turn.threshold:
            row = replace(row, name=f"the same, and where the words model cannot tell, the voice must reach "
                                    f"{rule.unsure_voice_threshold}",
                          words_rule=WordsRule(rule.unfinished_below, rule.finished_from,
                                               rule.unsure_voice_threshold))
            configs.append(row)
        if rule.question_finished_from < rule.finished_from:
            row = replace(row, name=f"the same, and words the STT ended with a question mark are finished from "
                                    f"{rule.question_finished_from}", words_rule=rule)
            configs.append(row)
    report: dict[str, Any] = {
        "benchmark": "endpointing", "machine": machine, "profile": args.profile,
        "set": {"voices": sorted({i.voice for i in items}),
                "counts": {f"{s}/{k}": sum(1 for i in items if i.split == s and i.kind == k)
                           for s in ("dev", "test") for k in ("paused", "complete")}},
        "goal": {"cut_off_rate_max": GOAL_CUTOFF_RATE, "complete_delay_below_ms": OLD_WAIT * 1000},
        "results": {c.name: {s: score([i for i in items if i.split == s], decisions, c, model, words, judge)
                             for s in ("dev", "test")} for c in configs},
    }
    if args.tune:
        report["tuning_on_dev"] = tune(items, decisions, model)
    report["model_inference_ms"] = _ms([took for _, took in model.cache.values()])
    report["model_calls"] = len(model.cache)
    report["stt_ms"] = _ms([took for _, took in words.cache.values()])
    report["stt_calls"] = len(words.cache)
    if judge is not None:
        report["words_model_ms"] = _ms([took for _, took in judge.cache.values()])
    report["transcripts_at_pauses"] = {name: text for (name, _, _), (text, _) in sorted(words.cache.items())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
