"""Measure a profile's latencies on this machine: `python -m voicedock_bench.engines --profile ci`.

The numbers in docs/models.md come from here, so they can be re-measured on the target server.
The whole-turn figure drives `voicedock.conversation.speech`, the code real calls speak with,
into a line that only notes when audio was handed to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from voicedock.audio import Pcm, ulaw_decode, ulaw_encode
from voicedock.conversation.speech import Playout, Timings, Utterance, speak_stream
from voicedock.engines.loader import Engines, default_models_dir, load_engines

from .machine import describe as describe_machine

PHONE_RATE = 8000
SYSTEM_PROMPT = (
    "You are Anna, the phone receptionist of Tandarts Jansen, a dental practice in Utrecht. "
    "Speak in short, friendly sentences; the caller hears you through a telephone, so never use lists, "
    "markdown, emojis or long numbers. Opening hours: Monday to Friday 8:00 to 17:30, Saturday 9:00 to 12:00, "
    "closed on Sunday and public holidays. The practice offers check-ups, cleanings by the hygienist, fillings, "
    "root canal treatment, crowns and emergency appointments for pain. New patients are welcome; ask for their "
    "name, date of birth and phone number. A check-up takes 20 minutes, a cleaning 45 minutes. "
    "If the caller is in pain, offer the first emergency slot of the day. Cancellations must be made 24 hours "
    "ahead or a fee of 25 euros applies. Parking is free behind the building; the entrance is on the left. "
    "Never give medical advice beyond saying a dentist will look at it. If you do not know an answer, offer "
    "to have a colleague call back. Use the tools to check availability, book, move or cancel appointments, "
    "and to transfer the call to a human when the caller asks for one or is upset. Always confirm date and time "
    "back to the caller before booking. Today is Monday 2 June 2025."
)
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {"type": "object", "properties": props, "required": list(props)},
        },
    }
    for name, desc, props in [
        (
            "check_availability",
            "Find free appointment slots.",
            {"date": {"type": "string"}, "kind": {"type": "string"}},
        ),
        (
            "book_appointment",
            "Book an appointment.",
            {
                "name": {"type": "string"},
                "date": {"type": "string"},
                "time": {"type": "string"},
                "kind": {"type": "string"},
            },
        ),
        ("cancel_appointment", "Cancel an appointment.", {"name": {"type": "string"}, "date": {"type": "string"}}),
        ("transfer_call", "Transfer the caller to a human.", {"reason": {"type": "string"}}),
    ]
]
UTTERANCE = "Hello, could you tell me whether you are open on Saturday morning, and where I can park?"


async def _first_audio(engines: Engines, text: str) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    first = None
    chunks = []
    async for chunk in engines.tts.synthesize(text):
        first = first or time.perf_counter() - started
        chunks.append(chunk.pcm16)
    return first or 0.0, np.concatenate(chunks)


async def _llm_turn(engines: Engines, user: str) -> dict[str, float]:
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
    async for _ in engines.llm.stream(messages, TOOLS, max_tokens=64):
        pass
    return dict(engines.llm.last_stats)  # type: ignore[attr-defined]


class RecordingLine:
    """An AudioPort that plays nothing: it keeps when each piece of assistant audio was handed to it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.sends: list[tuple[float, int]] = []  # (time, samples)
        self.first_sent = asyncio.Event()

    async def read(self) -> Pcm | None:
        return None

    def send_pcm(self, pcm: Pcm) -> None:
        self.sends.append((self.clock(), len(pcm)))
        self.first_sent.set()

    def flush(self) -> None:
        pass

    def clear_output(self) -> int:
        return 0

    def pause_output(self) -> None:
        return None

    def resume_output(self) -> None:
        return None

    @property
    def sent_seconds(self) -> float:
        return 0.0

    async def wait_sent(self) -> None:
        pass


async def _whole_turn(engines: Engines, phone: np.ndarray) -> tuple[float, str]:
    """Caller audio in, first reply audio on the line, with the system prompt already in the KV cache."""
    clock = time.perf_counter
    line = RecordingLine(clock)
    started = clock()
    transcript = await engines.stt.transcribe(phone, PHONE_RATE)
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": transcript.text}]
    speaking = asyncio.create_task(speak_stream(
        engines.llm, engines.tts, messages, Playout(line), Utterance(), clock, Timings(),
        max_tokens=64, temperature=0.0))
    heard = asyncio.create_task(line.first_sent.wait())
    done, _ = await asyncio.wait({speaking, heard}, return_when=asyncio.FIRST_COMPLETED)
    heard.cancel()
    await asyncio.gather(heard, return_exceptions=True)
    if speaking in done:
        await speaking
    else:
        speaking.cancel()
        await asyncio.gather(speaking, return_exceptions=True)
    if not line.sends:
        return clock() - started, "no audio"
    return line.sends[0][0] - started, "audio"


async def run(profile: str, models_dir: Path, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    engines = await asyncio.to_thread(load_engines, profile, models_dir)
    report: dict[str, Any] = {
        "profile": profile,
        "load_seconds": engines.load_seconds,
        "load_total_seconds": time.perf_counter() - started,
    }
    firsts, audio = [], np.zeros(0, np.int16)
    for _ in range(repeats):
        first, audio = await _first_audio(engines, "Of course. Which day would suit you best?")
        firsts.append(first)
    report["tts_first_audio_seconds"] = statistics.median(firsts)
    _, caller = await _first_audio(engines, UTTERANCE)
    phone = ulaw_decode(ulaw_encode(caller))
    stt_times, text = [], ""
    for _ in range(repeats):
        transcript = await engines.stt.transcribe(phone, PHONE_RATE)
        stt_times.append(transcript.elapsed_seconds)
        text = transcript.text
    report.update(stt_seconds=statistics.median(stt_times), stt_audio_seconds=len(phone) / PHONE_RATE, stt_text=text)
    llama = engines.llm.llama  # type: ignore[attr-defined]
    cold, warm = [], []
    for i in range(repeats):
        llama.reset()
        cold.append(await _llm_turn(engines, f"Hi, are you open on Saturday {i}?"))
        llama.reset()
        report["llm_prefill_seconds"] = await engines.llm.prefill([{"role": "system", "content": SYSTEM_PROMPT}], TOOLS)
        report["llm_prefix_tokens"] = int(llama.n_tokens)
        warm.append(await _llm_turn(engines, f"Can I come on Friday {i}?"))
    report["llm_ttft_cold_seconds"] = statistics.median(s["ttft_seconds"] for s in cold)
    report["llm_ttft_warm_seconds"] = statistics.median(s["ttft_seconds"] for s in warm)
    report["llm_tokens_per_second"] = statistics.median(s["tokens_per_second"] for s in cold + warm)
    await engines.llm.prefill([{"role": "system", "content": SYSTEM_PROMPT}])
    turns = []
    for _ in range(repeats):
        turns.append(await _whole_turn(engines, phone))
    report["turn_first_audio_seconds"] = statistics.median(t for t, _ in turns)
    report["turn_outcomes"] = [kind for _, kind in turns]
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["load_average_1m"] = os.getloadavg()[0]
    report["machine"] = describe_machine()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report = asyncio.run(run(args.profile, args.models_dir or default_models_dir(), args.repeats))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
