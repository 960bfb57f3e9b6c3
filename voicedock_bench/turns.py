"""`voicedock bench turns`: real SIP calls to the demo assistant, measured at the caller.

The command starts Asterisk (if it is not running) and a `voicedock serve` of its own on a
temporary data directory with the chosen model profile, then places calls one after another
with `SipCall` (`--concurrent 1,3` then places rounds of three calls at once). Each call waits
for the greeting, asks a few questions (recorded with Piper and with espeak-ng, sent through the
8 kHz µ-law path), says "okay" over one long answer and then interrupts it, and hangs up. It measures at the caller:

- turn latency: end of the caller's last voiced frame → first assistant audio heard, per number
  of calls in progress together;
- greeting: call answered → first frame of the greeting heard (the first call of a run is the
  first call of an assistant just created);
- barge-in pause: caller speech onset → assistant audio stops, for the "okay" and the interruption;
- backchannel resumes: the answer went on after the "okay", which did not become a caller turn;
- WER of VoiceDock's stored transcript of the caller against the text that was spoken;
- false cut-offs (`--paused`): the false-cut-off set's paused sentences of one split, said in
  one call per voice, counted where the caller hears the assistant before their last word
  (`paused_calls.py`);

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from voicedock.config import Settings
from voicedock.store import Database
from voicedock.store import calls as call_store
from voicedock_cli.asterisk_ctl import asterisk_running
from voicedock_cli.demo import DEMO_NUMBER, ensure_demo

from .paused_calls import FALSE_CUT_OFF_RATE, PausedCall, items_for, paused_call, summarize
from .ports import free_port
from .turn_call import CallResult, one_call
from .turns_report import call_line, plot, report
from .utterances import piper_voice, utterances


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


def stored_calls(db: Database, after: set[str]) -> list[dict[str, Any]]:
    rows, _ = db.read_sync(lambda d: call_store.list_calls(d, limit=50, offset=0))
    return [r for r in rows if r["id"] not in after]


def _finished(row: dict[str, Any]) -> bool:
    return row["status"] in ("ended", "failed", "rejected") and bool(row.get("analysis"))


async def finished_records(db: Database, known: set[str], results: Sequence[CallResult | PausedCall],
                           within: float = 90.0) -> None:
    """Give each call of a round its record once the record has ended and its post-call analysis
    is stored, so that the next round's turns do not share the CPU with this round's analyses.
    A record is matched by the caller's number (the call's SIP user), else by order."""
    deadline = time.monotonic() + within
    while True:
        rows = await asyncio.to_thread(stored_calls, db, known)
        done = len([r for r in rows if _finished(r)]) >= len(results)
        if done or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.25)
    by_user = {r.get("caller_phone"): r for r in rows}
    for result in results:
        row = by_user.get(result.user) or next((r for r in reversed(rows) if r["id"] not in known), None)
        if row is not None:
            result.record = row
            known.add(row["id"])


async def run_bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from voicedock_ari.settings import AsteriskSettings

    asterisk = AsteriskSettings.load()
    if await ari_app_connected(asterisk):
        raise RuntimeError("another VoiceDock is connected to Asterisk; stop it first (it would answer the calls)")
    data_dir = workdir / "data"
    settings = Settings(data_dir=data_dir)
    data_dir.mkdir()
    ensure_demo(settings)
    keep = Path(args.audio_dir) if getattr(args, "audio_dir", "") else None
    audio = await utterances(args.voices, args.profile, args.models_dir, workdir, keep)
    split = getattr(args, "paused", "none")
    paused_items = {} if split == "none" else await asyncio.to_thread(
        items_for, args.voices, split, workdir,
        piper_voice(args.profile, args.models_dir) if "piper" in args.voices else None)
    port = free_port("tcp")
    env = {**os.environ, "VOICEDOCK_MODEL_PROFILE": args.profile, "VOICEDOCK_MODELS_DIR": str(args.models_dir)}
    log = (workdir / "serve.log").open("wb")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicedock_cli.main", "serve", "--data-dir", str(data_dir), "--port", str(port),
        "--session", "voice", "--log-level", "WARNING", env=env, stdout=log, stderr=subprocess.STDOUT)
    db = Database(settings.database_path)
    results: list[CallResult] = []
    paused: list[PausedCall] = []
    try:
        health = await wait_healthy(f"http://127.0.0.1:{port}/api/v1/health", server, args.load_timeout)
        uri = f"sip:{DEMO_NUMBER}@127.0.0.1:{asterisk.sip_port}"
        known: set[str] = set()
        for concurrent in args.concurrent:
            for _ in range(args.calls):
                for voice_at in range(0, len(args.voices), 1 if concurrent == 1 else len(args.voices)):
                    # One round: `concurrent` callers at once, voices taken in turn.
                    voices = [args.voices[(voice_at + i) % len(args.voices)] for i in range(concurrent)]
                    first = len(results)
                    batch = await asyncio.gather(*(
                        one_call(uri, voice, first + i, audio[voice], args.reply_timeout, args.questions, concurrent)
                        for i, voice in enumerate(voices)))
                    await finished_records(db, known, list(batch))
                    for result in batch:
                        results.append(result)
                        print(json.dumps(call_line(result)), file=sys.stderr, flush=True)
        for voice, items in paused_items.items():  # one call per voice, alone on the server
            items = items[: args.paused_sentences or None]
            said = await paused_call(uri, voice, len(results) + len(paused), items, args.reply_timeout)
            await finished_records(db, known, [said])
            paused.append(said)
            print(json.dumps({"paused_call": voice, **summarize([said], split)["by_voice"][voice]}),
                  file=sys.stderr, flush=True)
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
    data = report(args, results, health.get("checks", {}).get("models", {}))
    if paused_items:
        cut = data["false_cut_offs"] = summarize(paused, split)
        data["goals"]["targets"]["false_cut_off_rate"] = FALSE_CUT_OFF_RATE
        data["goals"]["met"]["false_cut_offs"] = (None if cut["jumped_in_rate"] is None
                                                  else cut["jumped_in_rate"] <= FALSE_CUT_OFF_RATE)
        data["definitions"]["false_cut_offs"] = (
            "paused sentences of the false-cut-off set (one split, one call per voice): the caller hears the "
            "assistant between their first and last voiced frame; ended_in_pause counts turns the server "
            "gave up unheard because the caller went on")
    return data


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the calls, write the JSON to `args.out` and the plot beside it; returns the report."""
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
