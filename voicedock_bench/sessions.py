"""N concurrent voice sessions on one process's engines, without SIP: turn latency per N.

`python -m voicedock_bench.sessions --profile cpu --concurrent 1,2,3 [--turns 3] [--out FILE]`
loads the profile's engines once (as a server does) and, for each N, runs N of the product's voice
sessions at once, each on a `RealtimeLine` fed 8 kHz µ-law frames in real time: silence, a caller
question spoken by Piper, silence until the reply has been played, the next question. Latency is
from the end of the caller's speech to the first assistant audio queued (endpointing included,
network and Asterisk not). Every session is a different assistant, so the LLM's prompt cache is
exercised as on a shared node. Prints JSON with the machine; needs neither Asterisk nor a network,
so it also runs on a GPU test machine (`--profile gpu`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.assistant import CallAssistant
from voicedock.conversation.base import CallInfo
from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.loader import Engines, default_models_dir, load_engines

from .grounding.driver import CallLog
from .machine import describe as describe_machine
from .questions import QUESTIONS
from .realtime_line import RealtimeLine
from .utterances import piper_audio

BUSINESSES = ("corner bakery", "garden shop", "bike repair shop", "book shop", "flower stall", "tea room",
              "hardware store", "music school")


def assistant(i: int) -> CallAssistant:
    business = BUSINESSES[i % len(BUSINESSES)]
    return CallAssistant.parse({
        "system_prompt": f"You answer the phone for the {business} (desk {i}). We open at 8 am on Saturday, "
                         "we are on Market Street, and we take orders by phone. Answer in one short sentence.",
        "first_message_mode": "assistant-waits-for-user",
    })


async def one_session(engines: Engines, index: int, questions: list[np.ndarray]) -> tuple[list[float | None], int]:
    """One caller: each question after the previous reply was played; the latency of each reply and
    how many assistant messages the session recorded."""
    line = RealtimeLine()
    log = CallLog()
    info = CallInfo(call_id=f"bench-{index}", direction="inbound", assistant=assistant(index))
    session = voice_session_factory(engines)(info, line, log, log)
    running = asyncio.create_task(session.run())
    latencies: list[float | None] = []
    try:
        await asyncio.sleep(1.0 + 0.3 * index)  # callers do not speak in lockstep
        for pcm in questions:
            line.say(pcm)
            latencies.append(await line.reply_after(30.0))
            await line.quiet(1.5, 30.0)
    finally:
        line.close()
        await asyncio.wait({running}, timeout=10)
        if not running.done():
            running.cancel()
    return latencies, sum(m["role"] == "assistant" for m in log.messages())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(profile: str, models_dir: Path, concurrent: list[int], turns: int) -> dict[str, Any]:
    started = time.perf_counter()
    engines = await asyncio.to_thread(load_engines, profile, models_dir)
    load_seconds = time.perf_counter() - started
    questions = [await piper_audio(engines.tts, text) for text in QUESTIONS[:turns]]
    results = []
    for n in concurrent:
        sessions = await asyncio.gather(*(one_session(engines, i, questions) for i in range(n)))
        runs = [latencies for latencies, _ in sessions]
        heard = [x for latencies in runs for x in latencies if x is not None]
        result: dict[str, Any] = {"concurrent": n, "turns": n * len(questions),
                                  "unanswered": sum(x is None for latencies in runs for x in latencies),
                                  "assistant_messages": sum(count for _, count in sessions)}
        if heard:
            result.update(p50_seconds=round(statistics.median(heard), 3), p95_seconds=round(percentile(heard, 0.95), 3),
                          max_seconds=round(max(heard), 3))
        results.append(result)
    return {"profile": profile, "load_seconds": round(load_seconds, 2), "results": results,
            "machine": describe_machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--concurrent", default="1,2,3", help="comma-separated session counts")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    report = asyncio.run(run(args.profile, args.models_dir or default_models_dir(),
                             [int(n) for n in args.concurrent.split(",")], args.turns))
    text = json.dumps(report, indent=2, default=str)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
