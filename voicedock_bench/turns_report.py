"""The turn benchmark's report: figures over all calls, the goals they meet, and a PNG of them.

The JSON keeps every turn and one call's timeline, so a reader can check the summaries against
the raw measurements.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from . import turn_metrics as tm
from .machine import describe as describe_machine
from .questions import BACKCHANNEL
from .turn_call import LOUD, RESUME_WITHIN, CallResult

GOALS = {"turn_p50_ms": 700, "turn_p95_ms": 1200, "barge_in_pause_ms": 120, "backchannel_resumed_percent": 90,
         "wer": 0.05, "three_calls_turn_p95_ms": 2000, "first_greeting_ms": 1000}


def stored_caller_words(result: CallResult) -> str:
    """What VoiceDock transcribed of the caller in this call, all turns joined."""
    messages = (result.record or {}).get("messages") or []
    return " ".join(m["content"] for m in messages if m.get("role") == "user")


def transcript_pairs(results: list[CallResult], voice: str | None = None) -> list[tuple[str, str]]:
    return [(" ".join(r.said), stored_caller_words(r)) for r in results
            if (voice is None or r.voice == voice) and r.record is not None]


def stage_summary(results: list[CallResult]) -> dict[str, Any]:
    """The stages of answered turns; a turn a caller gave up on (`abandoned`) measured its stages
    only up to that moment, so it is counted apart (`abandoned_turns`), not mixed into them."""
    stages: dict[str, list[float]] = {}
    for r in results:
        for entry in tm.server_latency(r.record):
            if entry.get("abandoned"):
                continue
            for key, value in entry.items():
                if key.endswith("_ms") and isinstance(value, int | float):
                    stages.setdefault(key, []).append(float(value))
    return {key: tm.summary(values) for key, values in sorted(stages.items())}


def abandoned_turns(results: list[CallResult]) -> int:
    """Turns the server recorded as given up on (the caller hung up or spoke again before the reply)."""
    return sum(1 for r in results for e in tm.server_latency(r.record) if e.get("abandoned"))


def backchannel_resumed(result: CallResult) -> bool | None:
    """The answer went on after the caller's "okay", and VoiceDock did not store it as a caller turn."""
    if result.backchannel_heard_again is None:
        return None
    messages = (result.record or {}).get("messages") or []
    taken = any(m.get("role") == "user" and tm.words(m["content"]) == tm.words(BACKCHANNEL) for m in messages)
    return result.backchannel_heard_again and not taken


def resumes(results: list[CallResult]) -> dict[str, Any]:
    said = [r for r in results if backchannel_resumed(r) is not None]
    resumed = sum(1 for r in said if backchannel_resumed(r))
    return {"n": len(said), "resumed": resumed, "percent": round(100 * resumed / len(said), 1) if said else None}


def call_line(result: CallResult) -> dict[str, Any]:
    """One call's figures, printed as each call ends."""
    return {"call": result.index, "voice": result.voice, "concurrent": result.concurrent, "error": result.error,
            "greeting_ms": result.greeting_ms,
            "turn_latency_ms": [t.latency_ms for t in result.turns], "barge_in_ms": result.barge_in_ms,
            "backchannel_ms": result.backchannel_ms, "backchannel_heard_again": result.backchannel_heard_again,
            "barge_in_note": result.barge_in_note}


def report(args: argparse.Namespace, results: list[CallResult], models: dict[str, Any]) -> dict[str, Any]:
    latencies = [t.latency_ms for r in results for t in r.turns if t.latency_ms is not None]
    unanswered = sum(1 for r in results for t in r.turns if t.latency_ms is None)
    pauses = [p for r in results for p in (r.backchannel_ms, r.barge_in_ms) if p is not None]
    barge = tm.summary(pauses)
    resumed = resumes(results)
    overall = tm.summary(latencies)
    errors = tm.wer(transcript_pairs(results))
    by_concurrent = {n: tm.summary([t.latency_ms for r in results for t in r.turns
                                    if r.concurrent == n and t.latency_ms is not None])
                     for n in sorted({r.concurrent for r in results})}
    greetings = [r.greeting_ms for r in results if r.greeting_ms is not None]
    first_greeting = results[0].greeting_ms if results else None
    figures = {
        "turn_latency_ms": overall,
        "turn_latency_ms_by_concurrent": by_concurrent,
        "turns_without_reply_by_concurrent": {n: sum(1 for r in results for t in r.turns
                                                     if r.concurrent == n and t.latency_ms is None)
                                              for n in by_concurrent},
        "greeting_ms": tm.summary(greetings),
        "first_greeting_ms": first_greeting,
        "greetings_not_heard": sum(1 for r in results if r.greeting_ms is None and not r.error),
        "turn_latency_ms_by_voice": {v: tm.summary([t.latency_ms for r in results for t in r.turns
                                                    if r.voice == v and t.latency_ms is not None])
                                     for v in args.voices},
        "turns_without_reply": unanswered,
        "barge_in_pause_ms": barge,
        "barge_in_not_measured": [r.barge_in_note for r in results if r.barge_in_note],
        "backchannel_resumes": resumed,
        "wer": None if errors is None else round(errors, 4),
        "wer_by_voice": {v: (None if (w := tm.wer(transcript_pairs(results, v))) is None else round(w, 4))
                         for v in args.voices},
        "server_latency_ms": stage_summary(results),
        "server_abandoned_turns": abandoned_turns(results),
    }
    one_call = by_concurrent.get(1) or overall  # the turn goals are a single call's; three calls have their own
    goals = {
        "turn_p50": _met(one_call["p50"], GOALS["turn_p50_ms"]),
        "turn_p95": _met(one_call["p95"], GOALS["turn_p95_ms"]),
        "barge_in_pause": _met(barge["max"], GOALS["barge_in_pause_ms"]),
        "backchannel_resumed": None if resumed["percent"] is None
        else resumed["percent"] >= GOALS["backchannel_resumed_percent"],
        "wer": _met(errors, GOALS["wer"]),
        "three_calls_turn_p95": None if 3 not in by_concurrent
        else _met(by_concurrent[3]["p95"], GOALS["three_calls_turn_p95_ms"]),
        "first_greeting": _met(first_greeting, GOALS["first_greeting_ms"]),
    }
    return {
        "benchmark": "turns: real SIP calls through Asterisk to the demo assistant, measured at the caller",
        "profile": args.profile, "models": models, "machine": describe_machine(),
        "caller_audio": getattr(args, "audio_dir", "") or "rendered for this run only",
        "calls": len(results), "voices": args.voices, "concurrent": sorted(by_concurrent), "failed_calls": [r.error for r in results if r.error],
        "definitions": {
            "turn_latency_ms": "caller's last voiced frame sent -> first assistant frame received (2 frames "
                               f"with rms >= {LOUD:.0f})",
            "barge_in_pause_ms": "caller speech onset (first voiced frame sent) -> end of the last assistant "
                                 "frame heard before 0.2 s without one, over the 'okay' and the interruption",
            "backchannel_resumes": f"after '{BACKCHANNEL}' said over a long answer, the assistant's voice is heard "
                                   f"again within {RESUME_WITHIN:.0f} s and no caller turn '{BACKCHANNEL}' is stored",
            "wer": "word errors of the stored caller transcript against the spoken text, over all calls",
            "greeting_ms": "call answered (200 OK) -> first assistant frame heard; first_greeting_ms is the "
                           "run's first call, the first call of an assistant created for the run",
            "turn_latency_ms_by_concurrent": "turn latency of calls placed in rounds of N calls at once",
            "server_turns": "each call's per-turn stages as the server recorded them (the call record's "
                            "latency), to see where a slow turn's time went",
        },
        **figures,
        "goals": {"targets": GOALS, "met": goals},
        "turns": [t.__dict__ for r in results for t in r.turns],
        "server_turns": [{"call": r.index, "voice": r.voice, "latency": tm.server_latency(r.record)}
                         for r in results],
        "transcripts": [{"call": r.index, "voice": r.voice, "caller": r.user,
                         "record_caller": (r.record or {}).get("caller_phone"), "said": " ".join(r.said),
                         "stored": stored_caller_words(r)} for r in results],
        "timeline": {"call": results[0].index, "voice": results[0].voice, "sent": results[0].sent,
                     "heard": results[0].heard} if results else None,
    }


def _met(value: float | None, goal: float) -> bool | None:
    return None if value is None else value <= goal


def plot(data: dict[str, Any], path: Path) -> str | None:
    """Draw the figures into `path`; returns why not when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'voicedock[bench]')"
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    several = len(data.get("concurrent") or [1]) > 1
    groups = sorted({(t.get("concurrent", 1), t["voice"]) for t in data["turns"]})
    for i, (n, voice) in enumerate(groups):
        values = [t["latency_ms"] / 1000 for t in data["turns"]
                  if t["voice"] == voice and t.get("concurrent", 1) == n and t["latency_ms"]]
        left.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=18,
                     label=f"{voice}, {n} at once" if several else voice)
        if values:
            left.boxplot([values], positions=[i], widths=0.5, showfliers=False)
    left.axhline(GOALS["turn_p50_ms"] / 1000, color="green", linestyle="--", linewidth=1, label="p50 goal")
    left.axhline(GOALS["turn_p95_ms"] / 1000, color="orange", linestyle="--", linewidth=1, label="p95 goal")
    left.set_xticks(range(len(groups)), [f"{v}\n{n} at once" if several else v for n, v in groups])
    left.set_ylabel("end of caller speech → first reply audio (s)")
    p50 = data["turn_latency_ms"]["p50"]
    left.set_title(f"Turn latency ({data['profile']}), p50 {p50} ms" if p50 is not None else "Turn latency")
    left.legend(fontsize=7)
    timeline = data.get("timeline") or {}
    if timeline:
        sent = np.asarray(timeline["sent"] or [(0, 0)], dtype=np.float64)
        heard = np.asarray(timeline["heard"] or [(0, 0)], dtype=np.float64)
        right.fill_between(sent[:, 0], 0, (sent[:, 1] > 0) * 1.0, step="post", alpha=0.4, label="caller speaks")
        right.plot(heard[:, 0], np.minimum(heard[:, 1] / 3000, 1.0), linewidth=0.7, color="black",
                   label="assistant audio heard (rms)")
        right.set_xlabel("seconds since the call's audio started")
        right.set_yticks([])
        right.set_title(f"One call ({timeline['voice']}): who is speaking when")
        right.legend(fontsize=7, loc="upper right")
    elif cut := data.get("false_cut_offs"):  # no ordinary call to draw: the paused sentences instead
        said = cut["utterances"]
        replies = [(i, u["reply_ms"] / 1000) for i, u in enumerate(said) if u["reply_ms"] is not None]
        if replies:
            right.scatter(*zip(*replies, strict=True), s=12, label="reply began after the last word")
        cuts = [i for i, u in enumerate(said) if u["jumped_in_at_ms"] is not None]
        right.scatter(cuts, [0.0] * len(cuts), marker="x", color="red", s=40, label="assistant heard mid-sentence")
        right.set_xlabel("paused sentence, in the order said (one call per voice)")
        right.set_ylabel("last word → first reply audio (s)")
        right.set_title(f"Paused sentences ({cut['split']} split)")
        right.legend(fontsize=7, loc="upper right")
    if cut := data.get("false_cut_offs"):
        fig.suptitle(f"False cut-offs heard at the caller ({cut['split']} split): {cut['jumped_in']} of "
                     f"{cut['n']} paused sentences; {cut['ended_in_pause']} turns ended in a pause, unheard",
                     fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
