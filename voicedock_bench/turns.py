"""`voicedock bench turns`: real SIP calls to the demo assistant, measured at the caller.

The command starts Asterisk (if it is not running) and a `voicedock serve` of its own on a
temporary data directory with the chosen model profile, then places calls one after another
with `SipCall`. Each call waits for the greeting, asks a few questions (recorded with Piper and
with espeak-ng, sent through the 8 kHz µ-law path), interrupts one long answer, and hangs up.
It measures at the caller:

- turn latency: end of the caller's last voiced frame → first assistant audio heard;
- barge-in reaction: (caller speech onset + the assistant's `voice_seconds`) → assistant audio stops;
- WER of VoiceDock's stored transcript of the caller against the text that was spoken;

and adds the per-stage latencies VoiceDock stored on each call. Prints JSON (also written to
`--out`) and draws a PNG (needs matplotlib: `pip install 'voicedock[bench]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from voicedock.config import Settings
from voicedock.engines.audio import resample
from voicedock.engines.loader import build_tts, default_models_dir, default_profile, read_manifest
from voicedock.machine import describe as describe_machine
from voicedock.store import Database
from voicedock.store import calls as call_store

from . import turn_metrics as tm
from .asterisk_ctl import asterisk_running
from .demo import DEMO_NUMBER, ensure_demo
from .sip_caller import CallFailed, SipCall

REPO = Path(__file__).resolve().parent.parent
RATE = 8000
LOUD = 300.0  # rms of a 20 ms frame that counts as assistant speech (silence from Asterisk is 0)
QUIET = 1.2  # seconds without speech that end an assistant reply
BARGE_AFTER = 0.6  # seconds into a long answer at which the caller interrupts
GOALS = {"turn_p50_ms": 1000, "turn_p95_ms": 1500, "barge_in_ms": 150, "wer": 0.05}

QUESTIONS = (
    "Hello, what time do you open on Saturday?",
    "Where can I find your shop?",
    "Do you make birthday cakes to order?",
)
LONG_QUESTION = "Could you tell me about everything you sell, please?"
INTERRUPTION = "Sorry, actually I just need a loaf of bread."


@dataclass
class Turn:
    voice: str
    call: int
    text: str
    spoken_ms: float
    latency_ms: float | None
    kind: str = "question"


@dataclass
class CallResult:
    voice: str
    index: int
    said: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    barge_in_ms: float | None = None
    barge_in_raw_ms: float | None = None
    barge_in_note: str | None = None
    heard: list[tuple[float, float]] = field(default_factory=list)
    sent: list[tuple[float, float]] = field(default_factory=list)
    record: dict[str, Any] | None = None
    error: str | None = None


# -- utterances ------------------------------------------------------------------------------------


def piper_voice(profile: str, models_dir: Path) -> Any:
    manifest = read_manifest(models_dir)
    return build_tts(manifest["profiles"][profile]["tts"], manifest, models_dir)


async def piper_audio(tts: Any, text: str) -> np.ndarray:
    chunks = [c async for c in tts.synthesize(text)]
    pcm = np.concatenate([c.pcm16 for c in chunks]).astype(np.int16)
    return resample(pcm, chunks[0].rate, RATE).astype(np.int16)


async def espeak_audio(text: str, workdir: Path) -> np.ndarray:
    path = workdir / f"espeak-{abs(hash(text))}.wav"
    process = await asyncio.create_subprocess_exec(
        "espeak-ng", "-v", "en-us", "-s", "160", "-w", str(path), text,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"espeak-ng failed: {err.decode(errors='replace').strip()}")
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return resample(pcm.astype(np.int16), rate, RATE).astype(np.int16)


async def utterances(voices: list[str], profile: str, models_dir: Path, workdir: Path) -> dict[str, dict[str, Any]]:
    texts = [*QUESTIONS, LONG_QUESTION, INTERRUPTION]
    out: dict[str, dict[str, Any]] = {}
    if "piper" in voices:
        tts = piper_voice(profile, models_dir)
        out["piper"] = {t: await piper_audio(tts, t) for t in texts}
    if "espeak-ng" in voices:
        out["espeak-ng"] = {t: await espeak_audio(t, workdir) for t in texts}
    return out


# -- one call --------------------------------------------------------------------------------------


async def _watch(call: SipCall, find: Callable[[], float | None], within: float, every: float) -> float | None:
    """Poll what the caller has heard until `find` returns a time, the far end hangs up, or `within` ends."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline and not call.far_end_hung_up.is_set():
        if (found := find()) is not None:
            return found
        await asyncio.sleep(every)
    return None


async def wait_voice(call: SipCall, after: float, within: float) -> float | None:
    return await _watch(call, lambda: tm.voice_starts(call.heard, after, LOUD), within, 0.02)


async def wait_quiet(call: SipCall, after: float, within: float) -> float | None:
    return await _watch(call, lambda: tm.voice_stops(call.heard, after, LOUD, QUIET), within, 0.05)


async def ask(call: SipCall, result: CallResult, text: str, audio: np.ndarray, reply_timeout: float,
              kind: str = "question") -> float | None:
    """Speak, then measure the time to the first reply audio; returns when that reply started."""
    played = await call.play(audio)
    result.said.append(text)
    end = played.voice_ended or played.ended
    first = await wait_voice(call, end, reply_timeout)
    latency = None if first is None else round((first - end) * 1000, 1)
    result.turns.append(Turn(result.voice, result.index, text, round((end - played.started) * 1000), latency, kind))
    return first


async def one_call(uri: str, voice: str, index: int, audio: dict[str, np.ndarray], voice_seconds: float,
                   reply_timeout: float, questions: int = len(QUESTIONS)) -> CallResult:
    result = CallResult(voice, index)
    call = SipCall(user=f"bench{index}")
    loop = asyncio.get_running_loop()
    try:
        await call.dial(uri)
        greeting = await wait_voice(call, loop.time(), 15)
        if greeting is not None:
            await wait_quiet(call, greeting, 30)
        for text in QUESTIONS[:questions]:
            first = await ask(call, result, text, audio[text], reply_timeout)
            if first is not None:
                await wait_quiet(call, first, 30)
        first = await ask(call, result, LONG_QUESTION, audio[LONG_QUESTION], reply_timeout, kind="long")
        if first is not None:
            await asyncio.sleep(max(0.0, first + BARGE_AFTER - loop.time()))
            interruption = call.play(audio[INTERRUPTION])
            result.said.append(INTERRUPTION)
            played = await interruption
            onset = played.voice_started or played.started
            stopped = tm.voice_stops(call.heard, onset, LOUD, 0.8)
            end = played.voice_ended or played.ended
            if stopped is None or not tm.loud_between(call.heard, onset, onset + voice_seconds, LOUD):
                result.barge_in_note = "the answer ended before the interruption could stop it"
            else:
                result.barge_in_raw_ms = round((stopped - onset) * 1000, 1)
                result.barge_in_ms = round((stopped - onset - voice_seconds) * 1000, 1)
            reply = await wait_voice(call, end, reply_timeout)
            result.turns.append(Turn(voice, index, INTERRUPTION, round((end - played.started) * 1000),
                                     None if reply is None else round((reply - end) * 1000, 1), "interruption"))
            if reply is not None:
                await wait_quiet(call, reply, 30)
    except CallFailed as err:
        result.error = str(err)
    finally:
        await call.hangup()
        base = call.sent[0][0] if call.sent else 0.0
        result.heard = [(round(t - base, 3), rms) for t, rms in call.heard]
        result.sent = [(round(t - base, 3), rms) for t, rms in call.sent]
    return result


# -- the server under test -------------------------------------------------------------------------


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_healthy(url: str, server: asyncio.subprocess.Process, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    last: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if server.returncode is not None:
                raise RuntimeError(f"voicedock serve exited with {server.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(url) as response:
                    last = await response.json()
                    checks = last.get("checks", {})
                    if checks.get("asterisk", {}).get("status") == "ok" and checks.get("models", {}).get("status") == "ok":
                        return last
                    if checks.get("models", {}).get("status") == "not_installed":
                        raise RuntimeError(f"models not installed: {checks['models']}")
            await asyncio.sleep(0.5)
    raise RuntimeError(f"voicedock serve did not become healthy in {within:.0f} s: {last}")


async def ari_app_connected(settings: Any) -> bool:
    from voicedock_ari.ari.client import AriClient

    async with AriClient(settings) as ari:
        apps = await ari.request("GET", "/applications") or []
    return any(app.get("name") == settings.app for app in apps)


def stored_call(db: Database, after: set[str]) -> dict[str, Any] | None:
    rows, _ = db.read_sync(lambda d: call_store.list_calls(d, limit=50, offset=0))
    new = [r for r in rows if r["id"] not in after]
    return new[0] if new else None


async def finished_record(db: Database, known: set[str], within: float = 90.0) -> dict[str, Any] | None:
    """The call's record once it has ended and its post-call analysis is stored, so that the next
    call's turns do not share the CPU with this call's analysis (each call is measured alone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        row = await asyncio.to_thread(stored_call, db, known)
        if row is not None and row["status"] in ("ended", "failed", "rejected") and row.get("analysis"):
            return row
        await asyncio.sleep(0.25)
    return await asyncio.to_thread(stored_call, db, known)


async def run_bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from voicedock_ari.settings import AsteriskSettings

    asterisk = AsteriskSettings.load()
    if await ari_app_connected(asterisk):
        raise RuntimeError("another VoiceDock is connected to Asterisk; stop it first (it would answer the calls)")
    data_dir = workdir / "data"
    settings = Settings(data_dir=data_dir)
    data_dir.mkdir()
    ensure_demo(settings)
    audio = await utterances(args.voices, args.profile, args.models_dir, workdir)
    port = free_tcp_port()
    env = {**os.environ, "VOICEDOCK_MODEL_PROFILE": args.profile, "VOICEDOCK_MODELS_DIR": str(args.models_dir)}
    log = (workdir / "serve.log").open("wb")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicedock_cli.main", "serve", "--data-dir", str(data_dir), "--port", str(port),
        "--session", "voice", "--log-level", "WARNING", env=env, stdout=log, stderr=subprocess.STDOUT)
    db = Database(settings.database_path)
    results: list[CallResult] = []
    try:
        health = await wait_healthy(f"http://127.0.0.1:{port}/api/v1/health", server, args.load_timeout)
        uri = f"sip:{DEMO_NUMBER}@127.0.0.1:{asterisk.sip_port}"
        known: set[str] = set()
        for _ in range(args.calls):
            for voice in args.voices:
                result = await one_call(uri, voice, len(results), audio[voice], args.voice_seconds,
                                        args.reply_timeout, args.questions)
                result.record = await finished_record(db, known)
                if result.record is not None:
                    known.add(result.record["id"])
                results.append(result)
                print(json.dumps(call_line(result)), file=sys.stderr, flush=True)
    finally:
        if server.returncode is None:
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), 30)
            except TimeoutError:
                server.kill()
                await server.wait()
        log.close()
        db.close()
    return report(args, results, health.get("checks", {}).get("models", {}))


def call_line(result: CallResult) -> dict[str, Any]:
    return {"call": result.index, "voice": result.voice, "error": result.error,
            "turn_latency_ms": [t.latency_ms for t in result.turns], "barge_in_ms": result.barge_in_ms,
            "barge_in_note": result.barge_in_note}


# -- the report ------------------------------------------------------------------------------------


def stored_caller_words(result: CallResult) -> str:
    """What VoiceDock transcribed of the caller in this call, all turns joined."""
    messages = (result.record or {}).get("messages") or []
    return " ".join(m["content"] for m in messages if m.get("role") == "user")


def transcript_pairs(results: list[CallResult], voice: str | None = None) -> list[tuple[str, str]]:
    return [(" ".join(r.said), stored_caller_words(r)) for r in results
            if (voice is None or r.voice == voice) and r.record is not None]


def stage_summary(results: list[CallResult]) -> dict[str, Any]:
    stages: dict[str, list[float]] = {}
    for r in results:
        for entry in (r.record or {}).get("latency") or []:
            for key, value in entry.items():
                if key.endswith("_ms") and isinstance(value, int | float):
                    stages.setdefault(key, []).append(float(value))
    return {key: tm.summary(values) for key, values in sorted(stages.items())}


def report(args: argparse.Namespace, results: list[CallResult], models: dict[str, Any]) -> dict[str, Any]:
    latencies = [t.latency_ms for r in results for t in r.turns if t.latency_ms is not None]
    unanswered = sum(1 for r in results for t in r.turns if t.latency_ms is None)
    barge = tm.summary([r.barge_in_ms for r in results if r.barge_in_ms is not None])
    overall = tm.summary(latencies)
    errors = tm.wer(transcript_pairs(results))
    figures = {
        "turn_latency_ms": overall,
        "turn_latency_ms_by_voice": {v: tm.summary([t.latency_ms for r in results for t in r.turns
                                                    if r.voice == v and t.latency_ms is not None])
                                     for v in args.voices},
        "turns_without_reply": unanswered,
        "barge_in_ms": barge,
        "barge_in_raw_ms": tm.summary([r.barge_in_raw_ms for r in results if r.barge_in_raw_ms is not None]),
        "barge_in_not_measured": [r.barge_in_note for r in results if r.barge_in_note],
        "wer": None if errors is None else round(errors, 4),
        "wer_by_voice": {v: (None if (w := tm.wer(transcript_pairs(results, v))) is None else round(w, 4))
                         for v in args.voices},
        "server_latency_ms": stage_summary(results),
    }
    goals = {
        "turn_p50": _met(overall["p50"], GOALS["turn_p50_ms"]),
        "turn_p95": _met(overall["p95"], GOALS["turn_p95_ms"]),
        "barge_in": _met(barge["max"], GOALS["barge_in_ms"]),
        "wer": _met(errors, GOALS["wer"]),
    }
    return {
        "benchmark": "turns: real SIP calls through Asterisk to the demo assistant, measured at the caller",
        "profile": args.profile, "models": models, "machine": describe_machine(),
        "calls": len(results), "voices": args.voices, "failed_calls": [r.error for r in results if r.error],
        "definitions": {
            "turn_latency_ms": "caller's last voiced frame sent -> first assistant frame received (2 frames "
                               f"with rms >= {LOUD:.0f})",
            "barge_in_ms": "assistant audio stopped at the caller - (caller speech onset + voice_seconds "
                           f"{args.voice_seconds})",
            "wer": "word errors of the stored caller transcript against the spoken text, over all calls",
        },
        **figures,
        "goals": {"targets": GOALS, "met": goals},
        "turns": [t.__dict__ for r in results for t in r.turns],
        "transcripts": [{"call": r.index, "voice": r.voice, "said": " ".join(r.said),
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
    voices = data["voices"]
    for i, voice in enumerate(voices):
        values = [t["latency_ms"] / 1000 for t in data["turns"] if t["voice"] == voice and t["latency_ms"]]
        left.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=18, label=voice)
        if values:
            left.boxplot([values], positions=[i], widths=0.5, showfliers=False)
    left.axhline(GOALS["turn_p50_ms"] / 1000, color="green", linestyle="--", linewidth=1, label="p50 goal")
    left.axhline(GOALS["turn_p95_ms"] / 1000, color="orange", linestyle="--", linewidth=1, label="p95 goal")
    left.set_xticks(range(len(voices)), voices)
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
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def bench(args: argparse.Namespace) -> dict[str, Any]:
    if "espeak-ng" in args.voices and shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng), or use --voices piper")
    with asterisk_running(), tempfile.TemporaryDirectory(prefix="vd-bench-turns-") as tmp:
        data = asyncio.run(run_bench(args, Path(tmp)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".png")
    data["plot"] = str(png) if (why := plot(data, png)) is None else why
    out.write_text(json.dumps(data, indent=2) + "\n")
    return data


def add_parser(sub: Any) -> None:
    p = sub.add_parser("turns", help="turn latency, barge-in and WER over real SIP calls (needs root, Asterisk)")
    p.add_argument("--profile", default=default_profile(), help="model profile (default: $VOICEDOCK_MODEL_PROFILE or cpu)")
    p.add_argument("--models-dir", type=Path, default=default_models_dir())
    p.add_argument("--calls", type=int, default=2, help="calls per voice")
    p.add_argument("--questions", type=int, default=len(QUESTIONS), choices=range(len(QUESTIONS) + 1),
                   help="plain questions per call before the long one that is interrupted")
    p.add_argument("--voices", default="piper,espeak-ng", type=lambda s: [v.strip() for v in s.split(",") if v.strip()])
    p.add_argument("--voice-seconds", type=float, default=0.2,
                   help="the demo assistant's stop_speaking_plan.voice_seconds (barge-in threshold)")
    p.add_argument("--reply-timeout", type=float, default=20.0, help="seconds to wait for a reply to start")
    p.add_argument("--load-timeout", type=float, default=300.0, help="seconds for the server to load its models")
    p.add_argument("--out", default=str(Path.cwd() / "bench-results" / "turns.json"))
    p.set_defaults(fn=cmd_bench_turns)


def cmd_bench_turns(args: argparse.Namespace) -> int:
    bad = [v for v in args.voices if v not in ("piper", "espeak-ng")]
    if bad or not args.voices:
        print(f"error: --voices takes piper and/or espeak-ng, not {','.join(bad) or 'nothing'}", file=sys.stderr)
        return 2
    try:
        data = bench(args)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in data.items() if k not in ("turns", "timeline", "transcripts")}, indent=2))
    return 0
