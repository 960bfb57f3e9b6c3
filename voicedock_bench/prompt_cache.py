"""Assistants taking turns on one model: what a turn costs when another assistant used it last.

`python -m voicedock_bench.prompt_cache --profile cpu` prints JSON. Five assistants with the system
prompt a call builds (their own text, the spoken style, the calendar, four tools) are prefilled
once, as at call start; then they take turns in rotation, so every turn follows another assistant.
It runs twice on fresh models: with the per-assistant prompt cache off (0 bytes: the context keeps
only the last head, as before the cache existed) and on. Per turn: time to first token and the
tokens llama.cpp decoded (its own counter). Also the background `warm()` of a changed prompt, and a
call 13 minutes later to an assistant already evaluated (its calendar line says another minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from voicedock.conversation.decide import system_prompt
from voicedock.conversation.tools import normalise_tools
from voicedock.engines.base import Message
from voicedock.engines.llm_llama import LlamaLLM
from voicedock.engines.loader import default_models_dir, model_path, read_manifest
from voicedock.engines.prompt_cache import DEFAULT_MAX_BYTES

from .engines import SYSTEM_PROMPT, TOOLS
from .machine import describe as describe_machine

BUSINESSES = ["Tandarts Jansen", "Northside Dental", "Acme Garage", "City Physio", "Harbour Vets"]
QUESTIONS = ["Are you open on Saturday morning?", "Where can I park?", "How long does a check-up take?"]
NOW = datetime(2025, 6, 2, 14, 35)  # fixed, so a head is the same at prefill and at every turn


def head(i: int, change: str = "", now: datetime = NOW) -> list[Message]:
    """Assistant `i`'s system message, built as a call builds it; `change` is added to its own text."""
    specs = normalise_tools([{"type": "function", **t["function"]} for t in TOOLS] + [{"type": "end_call"}])
    business = BUSINESSES[i]
    prompt = SYSTEM_PROMPT.replace("Tandarts Jansen", business) + f" Your desk number is {i + 1}.{change}"
    return [{"role": "system", "content": system_prompt(prompt, specs, now, business)}]


async def turn(llm: LlamaLLM, messages: list[Message]) -> dict[str, float]:
    assert llm.heads is not None
    before = llm.heads.decoded()
    async for _ in llm.stream(messages, max_tokens=8):
        pass
    return {"ttft_seconds": llm.last_stats["ttft_seconds"], "decoded_tokens": llm.heads.decoded() - before}


async def run_mode(path: Path, spec: dict[str, Any], cache_bytes: int, rounds: int) -> dict[str, Any]:
    llm = LlamaLLM(path, n_ctx=int(spec.get("n_ctx", 2048)), n_threads=int(spec.get("n_threads", 2)),
                   prompt_cache_bytes=cache_bytes)
    assistants = [head(i) for i in range(len(BUSINESSES))]
    assert llm.heads is not None
    prompt_tokens = [len(llm.heads.prompt_tokens(llm.llama.create_chat_completion, messages=h, max_tokens=1))
                     for h in assistants]
    prefill = [await llm.prefill(h) for h in assistants]
    turns = []
    for r in range(rounds):
        for messages in assistants:
            turns.append(await turn(llm, [*messages, {"role": "user", "content": QUESTIONS[r % len(QUESTIONS)]}]))
    changed = head(0, " We now also open on Sunday.")  # the assistant is saved with a new prompt
    started = time.perf_counter()
    warmed = await llm.warm(changed)
    warm_seconds = time.perf_counter() - started
    after_warm = await turn(llm, [*changed, {"role": "user", "content": QUESTIONS[0]}])
    # A call to the same assistant 13 minutes later: its prompt's calendar says another minute.
    later = head(1, now=NOW + timedelta(minutes=13))
    before_later = llm.heads.decoded()
    later_prefill = await llm.prefill(later)
    later_call = {"prefill_seconds": later_prefill, "prefill_decoded_tokens": llm.heads.decoded() - before_later,
                  "first_turn": await turn(llm, [*later, {"role": "user", "content": QUESTIONS[0]}])}
    ttfts = sorted(t["ttft_seconds"] for t in turns)
    report = {
        "prompt_cache_bytes": cache_bytes,
        "head_tokens": prompt_tokens,
        "prefill_seconds_median": statistics.median(prefill),
        "turns": len(turns),
        "turn_ttft_seconds_median": statistics.median(ttfts),
        "turn_ttft_seconds_max": ttfts[-1],
        "turn_decoded_tokens_median": statistics.median(t["decoded_tokens"] for t in turns),
        "cached_heads": len(llm.prompts),
        "cache_mib": round(llm.prompts.nbytes / 2**20, 1),
        "warm_changed_prompt_seconds": warm_seconds if warmed else None,
        "turn_after_warm": after_warm,
        "later_call": later_call,
    }
    llm.close()
    return report


async def run(profile: str, models_dir: Path, rounds: int) -> dict[str, Any]:
    manifest = read_manifest(models_dir)
    spec = manifest["profiles"][profile]["llm"]
    path = model_path(manifest, models_dir, spec["model"])
    off = await run_mode(path, spec, 0, rounds)
    on = await run_mode(path, spec, DEFAULT_MAX_BYTES, rounds)
    return {"profile": profile, "model": spec["model"], "assistants": len(BUSINESSES), "cache_off": off,
            "cache_on": on, "machine": describe_machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    report = asyncio.run(run(args.profile, args.models_dir or default_models_dir(), args.rounds))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
