"""The grounding set through real SIP calls: the "truth" runner (`--via sip`).

The text runner feeds the caller's words straight into the session's turn code; this runner
checks that what it measures survives the whole product: speech synthesized in two voices and
sent as 8 kHz µ-law through Asterisk, the session's own VAD and STT, the assistant configured
through the REST API, tools run through signed `tool-calls` webhooks to a local receiver, the
call record read back through the API, and the server's own post-call analysis.

One `voicedock serve` (under libfaketime, see sip_clock.py) serves the run; each dialogue is
one call per voice. The judging is the text runner's, unchanged: `runner.run_dialogue` places
a `SipDialogueCall` where the text runner places a `TextCall`. The judge still reads the
dataset's caller text (what the caller meant); what the session heard is reported beside it as
a word error rate.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

from voicedock.assistant import CallAssistant
from voicedock.engines.base import LLM
from voicedock.engines.loader import default_models_dir, read_manifest
from voicedock_bench.utterances import synthesize

from . import runner
from .dataset import Domain, counts, expected_calls, load_domains
from .report import by_domain, metrics, percentile
from .sip_call import SipDialogueCall
from .sip_clock import FakeClock
from .sip_server import Rig

VOICE_NAMES = {"piper": "piper", "espeak": "espeak-ng", "espeak-ng": "espeak-ng"}
ANALYSIS_TIMEOUT = 150.0  # the server gives its post-call analysis 120 s (controller.ANALYSIS_SECONDS)


def parse_voices(text: str) -> list[str]:
    """"piper,espeak" -> ["piper", "espeak-ng"]; raises ValueError on an unknown voice."""
    names = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in names if v not in VOICE_NAMES]
    if bad or not names:
        raise ValueError(f"--voices takes piper and/or espeak, not {','.join(bad) or 'nothing'}")
    return list(dict.fromkeys(VOICE_NAMES[v] for v in names))


def failed_result(dialogue: Mapping[str, Any], error: str) -> dict[str, Any]:
    """A dialogue whose call could not be held: every turn counts as wrong (`not_run`)."""
    turns = []
    for i, turn in enumerate(dialogue["turns"]):
        options = expected_calls(turn)
        turns.append({"dialogue": dialogue["id"], "domain": dialogue["domain"], "turn": i + 1,
                      "caller": turn["caller"], "kind": "no_tool" if turn["expect"]["tool"] is None else "tool",
                      "expected": options[0], "also_ok": options[1:], "fact": turn.get("fact"),
                      "status": "not_run", "right": False, "error": error})
    return {"id": dialogue["id"], "domain": dialogue["domain"], "now": dialogue["now"], "turns": turns,
            "happened": [], "expected_outcome": dialogue["outcome"], "summary": "", "summary_violations": [],
            "summary_outcome_mentioned": False, "summary_missing": [], "error": error}


def annotate(result: dict[str, Any], call: SipDialogueCall | None, voice: str, now: datetime) -> None:
    """Add what only a real call has: the voice, the session's transcript and its WER per turn,
    caller-side reply timing, the server's own latency entries (where a turn's time went: end of
    turn, STT, first token, first audio), the record's id and clock, the webhooks the receiver saw."""
    result["voice"] = voice
    audits = call.audits if call is not None else []
    for record in result["turns"]:
        record["voice"] = voice
        if record["turn"] <= len(audits):
            record.update(audits[record["turn"] - 1])
    if call is None:
        return
    final = call.final or call.record
    started = final.get("started_at")
    hits = call.rig.tools.for_call(call.call_id) if call.rig.tools is not None else []
    skews = [abs(h.clock_skew_s) for h in hits if h.clock_skew_s is not None]
    result.update(
        call_id=call.call_id, call_status=final.get("status"), ended_reason=final.get("ended_reason"),
        analysis_wait_s=call.analysis_wait_s,
        server_latency=[dict(entry) for entry in final.get("latency") or []],
        clock={"aimed_diff_s": call.clock_diff_s,
               "call_started_at": started,
               "started_minus_now_s": None if not started else round(
                   datetime.fromisoformat(str(started).replace("Z", "+00:00")).timestamp() - now.timestamp(), 1)},
        webhooks={"calls": len(hits), "unsigned": sum(not h.signed for h in hits),
                  "max_timestamp_skew_s": max(skews) if skews else None},
    )


def wer_of(turns: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Corpus WER of the session's transcript against the caller's text, over turns that were spoken."""
    spoken = [t["wer"] for t in turns if isinstance(t.get("wer"), Mapping)]
    words = sum(w["words"] for w in spoken)
    return {"value": round(sum(w["errors"] for w in spoken) / words, 3) if words else None,
            "words": words, "turns": len(spoken)}


def sip_figures(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The real-call figures beside the text runner's: WER, caller-side latency, webhook checks."""
    turns = [t for r in results for t in r["turns"]]
    latency = [t["reply_latency_ms"] for t in turns if t.get("reply_latency_ms") is not None]
    whole = [t["reply_ms"] for t in turns if t.get("reply_ms") is not None]
    hooks = [r.get("webhooks") or {} for r in results]
    skews = [h["max_timestamp_skew_s"] for h in hooks if h.get("max_timestamp_skew_s") is not None]
    return {
        "stt_wer": wer_of(turns),
        "reply_latency_ms": {"p50": percentile(latency, 50), "p95": percentile(latency, 95), "n": len(latency)},
        "reply_end_ms": {"p50": percentile(whole, 50), "p95": percentile(whole, 95), "n": len(whole)},
        "not_heard_turns": sum(t.get("session_turns") == [] for t in turns),
        "split_turns": sum(len(t.get("session_turns") or []) > 1 for t in turns),
        "late_tool_calls": [{"dialogue": t["dialogue"], "turn": t["turn"], **c} for t in turns
                            for c in t.get("late_tool_calls") or []],
        "webhook_calls": sum(h.get("calls", 0) for h in hooks),
        "webhook_unsigned": sum(h.get("unsigned", 0) for h in hooks),
        "webhook_max_timestamp_skew_s": max(skews) if skews else None,
        "failed_calls": [{"dialogue": r["id"], "voice": r.get("voice"), "error": r["error"]}
                         for r in results if r.get("error")],
    }


async def play_dialogue(rig: Rig, domain: Domain, dialogue: Mapping[str, Any], voice: str,
                        audio: Mapping[str, np.ndarray], args: argparse.Namespace) -> dict[str, Any]:
    """One call: the dialogue judged by `run_dialogue`, then annotated with the call's own figures."""
    line = await rig.line(dialogue["domain"], domain)
    made: list[SipDialogueCall] = []

    def place(assistant: CallAssistant, now: datetime, answer: runner.CannedServer) -> SipDialogueCall:
        call = SipDialogueCall(rig, line, now, answer, audio, len(dialogue["turns"]), assistant.greeting or "",
                               args.reply_timeout, ANALYSIS_TIMEOUT)
        made.append(call)
        return call

    now = datetime.fromisoformat(dialogue["now"])
    try:
        # the analysis is the server's own (read off the record), so no analysis LLM runs here
        result = await runner.run_dialogue(place, domain, dialogue, cast(LLM, None), args.turn_timeout)
    except Exception as err:  # a call that fails is a result of the run, not a reason to stop it
        result = failed_result(dialogue, f"{type(err).__name__}: {err}"[:300])
    finally:
        if made:
            await made[0].close()
    annotate(result, made[0] if made else None, voice, now)
    return result


async def run_calls(args: argparse.Namespace, dialogues: Sequence[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    voices: list[str] = args.voice_list
    models_dir = args.models_dir or default_models_dir()
    manifest = read_manifest(models_dir)
    if args.profile not in manifest["profiles"]:
        raise RuntimeError(f"unknown profile {args.profile!r}; known: {', '.join(manifest['profiles'])}")
    texts = list(dict.fromkeys(t["caller"] for d in dialogues for t in d["turns"]))
    audio = await synthesize(voices, texts, args.profile, models_dir, workdir)
    clock = FakeClock(workdir / "faketime", args.clock)
    rig = Rig(workdir, clock, args.profile, models_dir, load_timeout=args.load_timeout)
    domains = load_domains()
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        await rig.start()
        load_seconds = time.perf_counter() - started
        for n, dialogue in enumerate(dialogues, 1):
            for voice in voices:
                begun = time.perf_counter()
                result = await play_dialogue(rig, domains[dialogue["domain"]], dialogue, voice, audio[voice], args)
                results.append(result)
                right = sum(bool(t.get("right")) for t in result["turns"])
                print(f"[{n}/{len(dialogues)} {voice}] {dialogue['id']}: {right}/{len(result['turns'])} turns right, "
                      f"WER {wer_of(result['turns'])['value']}, {result.get('error') or 'call ok'} "
                      f"({time.perf_counter() - begun:.1f} s)", file=sys.stderr, flush=True)
    except Exception as err:
        raise RuntimeError(f"{err}\n--- voicedock serve log ---\n{rig.log_tail()}") from err
    finally:
        await rig.close()
        if args.out is not None and (workdir / "serve.log").exists():  # the server's side, for failed calls
            args.out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(workdir / "serve.log", args.out.with_suffix(".serve.log"))
    spec = manifest["profiles"][args.profile]
    return {
        "via": "sip",
        "profile": args.profile,
        "model": str(spec["llm"]["model"]),
        "stt_model": str(spec["stt"]["model"]),
        "llm_settings": {k: spec["llm"].get(k) for k in ("n_ctx", "n_threads", "n_gpu_layers")},
        "split": args.split,
        "limit": args.limit,
        "voices": voices,
        "clock": {"mode": args.clock, "library": str(clock.library) if clock.library else None,
                  "note": "the server's wall clock is set to each dialogue's now before its call" if clock.library
                  else "real clock: the session's dates are not the dialogues' dates; date verdicts mean nothing"},
        "load_seconds": round(load_seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "counts": counts(list(dialogues)),
        "overall": {**metrics(results), **sip_figures(results)},
        "per_domain": by_domain(results),
        "per_voice": {v: {**metrics([r for r in results if r.get("voice") == v]),
                          **sip_figures([r for r in results if r.get("voice") == v])} for v in voices},
        "dialogues": [{k: v for k, v in r.items() if k != "turns"} for r in results],
        "turns": [t for r in results for t in r["turns"]],
    }


def run_sip(args: argparse.Namespace, dialogues: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The whole run: Asterisk (started if it is not running), a temporary data dir, the calls."""
    from voicedock_cli.asterisk_ctl import asterisk_running

    args.voice_list = parse_voices(args.voices)
    if "espeak-ng" in args.voice_list and shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng), or use --voices piper")
    with asterisk_running(), tempfile.TemporaryDirectory(prefix="vd-grounding-sip-") as tmp:
        return asyncio.run(run_calls(args, dialogues, Path(tmp)))
