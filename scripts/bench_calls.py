#!/usr/bin/env python3
"""Concurrent-call benchmark: N SIPp callers -> Asterisk -> the Python media path -> echo.

Each SIPp call streams a PCMU tone (rtp_stream) to +15550100 for --hold seconds; the controller
answers every call with an echo session that timestamps each 20 ms frame it gets. Reported per N:

- late_frame_pct: frames reaching the session more than 10 ms late, i.e. more than 30 ms after
  the frame before them (end to end: SIPp's own pacing, Asterisk, the socket and the event loop
  all count);
- late_vs_grid_pct: the same against each call's ideal 20 ms grid (through its earliest frame);
  this one also counts the slow saw-tooth of SIPp's rtp_stream pacing, present even at 5 calls;
- python_late_frame_pct: frames that took more than 10 ms from the UDP socket to the session
  (the Python media path alone: event-loop delay and jitter buffer);
- loss_pct: frames never delivered (jitter-buffer losses against the frames expected);
- cpu_per_call_pct: CPU of this Python process (controller + media) per call, in % of one core,
  over the window where all calls are up; Asterisk's CPU is reported beside it.

Needs root and the project's Asterisk (started here if not running, and stopped again).
Usage: sudo .venv/bin/python scripts/bench_calls.py [--calls 50,100,200,300] [--hold 8]
Writes bench-results/calls.json (and prints it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from voicedock.config import Settings
from voicedock.conversation.base import AudioPort, CallActions, CallEvents, CallInfo
from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock.store.documents import ASSISTANTS
from voicedock_ari.controller import CallController
from voicedock_ari.settings import AsteriskSettings
from voicedock_bench.machine import describe as describe_machine
from voicedock_bench.sipp import sipp_command, uac_scenario
from voicedock_cli.asterisk_ctl import asterisk_running
from voicedock_cli.serve import run_loop

REPO = Path(__file__).resolve().parents[1]

NUMBER = "+15550100"
FRAME = 0.020
LATE = 0.010


class TimedEcho:
    """Echo session that keeps every frame's arrival time; sessions are collected for the report."""

    sessions: list[TimedEcho] = []

    def __init__(self, info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> None:
        self.audio = audio
        self.arrivals: list[float] = []
        self.path_delays: list[float] = []
        self._socket_times: deque[float] = deque()
        receive = audio._on_datagram  # type: ignore[attr-defined]

        def tap(data: bytes, addr: tuple[str, int]) -> None:
            self._socket_times.append(time.monotonic())
            receive(data, addr)

        audio._on_datagram = tap  # type: ignore[attr-defined]
        TimedEcho.sessions.append(self)

    async def run(self) -> str | None:
        while (frame := await self.audio.read()) is not None:
            now = time.monotonic()
            self.arrivals.append(now)
            if self._socket_times:
                self.path_delays.append(now - self._socket_times.popleft())
            self.audio.send_pcm(frame)
        return None

    async def command(self, command: Any) -> str:
        return "ignored"

    def late_frames(self, skip: int = 10) -> tuple[int, int]:
        """(late, counted) against the call's own 20 ms grid, ignoring the first `skip` frames."""
        times = self.arrivals[skip:]
        if len(times) < 2:
            return 0, 0
        offsets = [t - i * FRAME for i, t in enumerate(times)]
        base = min(offsets)
        return sum(1 for o in offsets if o - base > LATE), len(times)


def asterisk_cpu_seconds(root: Path) -> float:
    pid = (root / "run/asterisk/asterisk.pid").read_text().strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(ctl: CallController, workdir: Path, calls: int, hold: float) -> dict[str, Any]:
    TimedEcho.sessions = []
    tone = workdir / "tone.wav"
    scenario = workdir / f"uac-{calls}.xml"
    scenario.write_text(uac_scenario(hold_ms=int(hold * 1000), rtp_wav=tone))
    rate = max(10.0, calls / 3.0)
    cmd = sipp_command(scenario, f"127.0.0.1:{ctl.asterisk.sip_port}", NUMBER, calls=calls, rate=rate,
                       timeout_s=int(hold + calls / rate + 60))
    started = time.monotonic()
    sipp = await asyncio.create_subprocess_exec(*cmd, cwd=workdir, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)
    ramp = calls / rate + 1.0
    await asyncio.sleep(ramp)
    live_at_window = len(ctl.live_calls())
    cpu0, ast0, t0 = own_cpu_seconds(), asterisk_cpu_seconds(ctl.asterisk.root), time.monotonic()
    await asyncio.sleep(max(1.0, hold - 2.0))
    cpu1, ast1, t1 = own_cpu_seconds(), asterisk_cpu_seconds(ctl.asterisk.root), time.monotonic()
    rc = await asyncio.wait_for(sipp.wait(), hold + 120)
    for _ in range(100):
        if not ctl.live_calls():
            break
        await asyncio.sleep(0.1)
    late = counted = 0
    for session in TimedEcho.sessions:
        a, b = session.late_frames()
        late, counted = late + a, counted + b
    gaps = sorted(b - a for s in TimedEcho.sessions for a, b in zip(s.arrivals[10:], s.arrivals[11:], strict=False))
    periods = [(s.arrivals[-1] - s.arrivals[10]) / (len(s.arrivals) - 11) for s in TimedEcho.sessions
               if len(s.arrivals) > 20]
    delays = sorted(d for s in TimedEcho.sessions for d in s.path_delays[10:])
    delivered = sum(len(s.arrivals) for s in TimedEcho.sessions)
    lost = sum(s.audio.stats.jitter.lost for s in TimedEcho.sessions)  # type: ignore[attr-defined]
    wall = t1 - t0
    concurrent = max(1, live_at_window)
    return {
        "calls": calls,
        "answered": len(TimedEcho.sessions),
        "concurrent_in_window": live_at_window,
        "sipp_exit_code": rc,
        "frames_delivered": delivered,
        "late_frame_pct": round(100.0 * sum(g > FRAME + LATE for g in gaps) / len(gaps), 3) if gaps else None,
        "late_vs_grid_pct": round(100.0 * late / counted, 3) if counted else None,
        "python_late_frame_pct": round(100.0 * sum(d > LATE for d in delays) / len(delays), 3) if delays else None,
        "python_delay_ms_p50_p99": [round(1000 * delays[int(q * (len(delays) - 1))], 2) for q in (0.5, 0.99)]
        if delays else None,
        "gap_ms_p50_p99_max": [round(1000 * gaps[int(q * (len(gaps) - 1))], 2) for q in (0.5, 0.99, 1.0)] if gaps else None,
        "mean_period_ms": round(1000 * sum(periods) / len(periods), 3) if periods else None,
        "loss_pct": round(100.0 * lost / (delivered + lost), 3) if delivered + lost else None,
        "cpu_per_call_pct": round(100.0 * (cpu1 - cpu0) / wall / concurrent, 3),
        "python_cpu_pct": round(100.0 * (cpu1 - cpu0) / wall, 1),
        "asterisk_cpu_pct": round(100.0 * (ast1 - ast0) / wall, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


async def run_rounds(ctl: CallController, work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    await ctl.start()
    rounds: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.budget
    try:
        for calls in args.calls:
            if time.monotonic() > deadline:
                rounds.append({"calls": calls, "skipped": "time budget used up"})
                continue
            result = await one_round(ctl, work, calls, args.hold)
            print(json.dumps(result), file=sys.stderr)
            rounds.append(result)
            await asyncio.sleep(2.0)
    finally:
        await ctl.aclose()
    return rounds


def bench(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with asterisk_running(), tempfile.TemporaryDirectory(prefix="vd-bench-") as tmp:
        work = Path(tmp)
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", str(work / "tone.wav"),
                        "synth", str(args.hold + 30), "sine", "440", "vol", "0.5"], check=True)
        settings = Settings(data_dir=work / "data")
        settings.data_dir.mkdir()
        db = Database(settings.database_path)
        db.migrate_sync()
        doc = {"name": "bench", "system_prompt": "echo", "recording_enabled": False, "is_active": True,
               "max_duration_seconds": 3600}
        db.write_sync(lambda d: ASSISTANTS.insert(d, "asst_bench", doc))
        db.write_sync(lambda d: records.create_number(d, {"phone_number": NUMBER, "assistant_id": "asst_bench"}))
        ctl = CallController(AsteriskSettings.load(), settings, db, SecretBox(settings.secret_key_path),
                             session_factory=TimedEcho)  # type: ignore[arg-type]
        try:
            runner = run_loop if args.loop == "uvloop" else asyncio.run
            rounds = runner(run_rounds(ctl, work, args))
        finally:
            db.close()
    return {"benchmark": "concurrent calls through Asterisk into the Python media path (echo session)",
            "machine": describe_machine(), "hold_seconds": args.hold, "codec": "PCMU 20 ms",
            "late_threshold_ms": LATE * 1000, "event_loop": args.loop, "rounds": rounds}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="50,100,200,300", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--hold", type=float, default=8.0, help="seconds each call streams audio")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds after which larger rounds are skipped")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="event loop, as `voicedock serve` runs it (uvloop when installed)")
    parser.add_argument("--out", default=str(REPO / "bench-results" / "calls.json"))
    options = parser.parse_args()
    report = bench(options)
    Path(options.out).parent.mkdir(parents=True, exist_ok=True)
    Path(options.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
