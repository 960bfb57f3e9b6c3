#!/usr/bin/env python3
"""Measure the LLM engine alone, as a call uses it: the system prompt prefilled once, then per
caller turn a grammar-constrained decision and a streamed reply with the prompt still cached.

Prints one JSON object: prefill seconds, per-turn decision latency, first-token latency and
decode speed (medians over the turns), whether llama.cpp can offload to a GPU, and the machine.

    scripts/bench_llm.py --profile cpu [--models-dir DIR]
    scripts/bench_llm.py --model qwen.gguf --n-gpu-layers -1 --threads 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from voicedock.engines.llm_llama import LlamaLLM
from voicedock_bench.machine import describe as describe_machine

SYSTEM = (
    "You answer the phone for Sunrise Bakery. Facts: open Monday to Saturday from 7 am to 6 pm, closed on "
    "Sunday; 12 Harbour Street; bread, pastries and cakes to order, birthday cakes need two days' notice. "
    "Answer in one or two short, friendly sentences, and only with these facts. You are speaking on the "
    "phone: no lists, no markdown.\n\nTools (the system runs them and gives you the result):\n"
    "- order_cake: order a cake for pickup; arguments: date (YYYY-MM-DD), flavour, name.\n"
    "- end_call: the caller is done and says goodbye.\n- none: no tool fits; just talk.\n"
    "Now it is Tuesday 2025-06-03, 10:00. Wednesday = 2025-06-04 (tomorrow). Thursday = 2025-06-05."
)
TURNS = (
    "Hello, what time do you open on Saturday?",
    "Where can I find your shop?",
    "Do you make birthday cakes to order?",
    "I'd like a chocolate cake for Thursday, the name is Anna.",
    "Are you open on Sunday?",
    "Do you sell gluten free bread?",
    "How much notice do you need for a cake?",
    "Thanks, that's all, bye!",
)
INTENT = {"type": "object", "properties": {"intent": {"enum": ["order a cake", "say goodbye", "something else"]}},
          "required": ["intent"]}


def gpu_name() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True)
    return out.stdout.strip() or None


def model_from_profile(profile: str, models_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    from voicedock.engines.loader import default_models_dir, model_path, read_manifest

    directory = models_dir or default_models_dir()
    manifest = read_manifest(directory)
    spec = manifest["profiles"][profile]["llm"]
    return Path(model_path(manifest, directory, spec["model"])), spec


async def measure(llm: LlamaLLM, turns: int, max_tokens: int) -> dict[str, Any]:
    system = {"role": "system", "content": SYSTEM}
    prefill = await llm.prefill([system])
    history: list[dict[str, str]] = []
    rows = []
    for text in (TURNS * (turns // len(TURNS) + 1))[:turns]:
        history.append({"role": "user", "content": text})
        ask = {"role": "system", "content": f'The caller just said: "{text}". What does the caller want now? '
                                            'Answer as JSON {"intent": ...}.'}
        started = time.perf_counter()
        decision = await llm.complete_json([system, *history, ask], INTENT, max_tokens=24)
        decided = time.perf_counter()
        first = None
        pieces = 0
        reply = []
        async for chunk in llm.stream([system, *history], max_tokens=max_tokens):
            if chunk.text:
                first = first or time.perf_counter()
                pieces += 1
                reply.append(chunk.text)
        done = time.perf_counter()
        history.append({"role": "assistant", "content": "".join(reply)})
        rows.append({
            "caller": text, "intent": decision.get("intent"), "decision_ms": round((decided - started) * 1000, 1),
            "ttft_ms": round(((first or done) - decided) * 1000, 1), "pieces": pieces,
            "decode_per_s": round((pieces - 1) / (done - first), 1) if first and pieces > 1 and done > first else None,
            "reply": "".join(reply)[:200],
        })
    median = statistics.median
    return {
        "prefill_s": round(prefill, 3),
        "decision_ms_p50": median(r["decision_ms"] for r in rows),
        "ttft_ms_p50": median(r["ttft_ms"] for r in rows),
        "decision_plus_ttft_ms_p50": median(r["decision_ms"] + r["ttft_ms"] for r in rows),
        "decode_per_s_p50": median(r["decode_per_s"] for r in rows if r["decode_per_s"]) if any(
            r["decode_per_s"] for r in rows) else None,
        "turns": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", help="take the model and settings from this profile of the manifest")
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--model", type=Path, help="a GGUF file (instead of --profile)")
    parser.add_argument("--n-gpu-layers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--n-ctx", type=int)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=60)
    args = parser.parse_args()
    spec: dict[str, Any] = {}
    if args.profile:
        path, spec = model_from_profile(args.profile, args.models_dir)
    elif args.model:
        path = args.model
    else:
        parser.error("give --profile or --model")
    settings = {"n_ctx": args.n_ctx or int(spec.get("n_ctx", 4096)),
                "n_threads": args.threads or int(spec.get("n_threads", 2)),
                "n_gpu_layers": args.n_gpu_layers if args.n_gpu_layers is not None else int(spec.get("n_gpu_layers", 0))}
    import llama_cpp

    started = time.perf_counter()
    llm = LlamaLLM(path, **settings)
    load = time.perf_counter() - started
    figures = asyncio.run(measure(llm, args.turns, args.max_tokens))
    llm.close()
    print(json.dumps({
        "benchmark": "LLM engine: prefill once, then per turn a decision and a streamed reply (prompt cached)",
        "model": path.name, "settings": settings, "load_s": round(load, 2),
        "llama_cpp_python": llama_cpp.__version__, "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "gpu": gpu_name(), "machine": describe_machine(), **figures,
    }, indent=2))


if __name__ == "__main__":
    main()
