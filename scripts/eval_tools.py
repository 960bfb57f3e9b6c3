#!/usr/bin/env python3
"""Measure the session's tool decisions on a real local LLM: does each caller turn pick the right
tool with the right arguments?

Runs the same code as a live call (`decide`, then `settle`: argument preparation, validation and
the evidence check) over tests/conversation/data/booking_eval.json (or `--data`) and prints one
JSON object: the model's raw intent accuracy (the label it picked), the final choice accuracy
(the tool the session really runs, or none), argument accuracy, outcome accuracy (the right tool
run with the right arguments, or none run where none was wanted), the cases where a wrong tool
would really run, per-case results, decision latency, the machine.

    scripts/eval_tools.py --profile cpu [--models-dir DIR] [--data FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from voicedock.conversation.decide import decide, system_prompt
from voicedock.conversation.settings import VoiceSettings
from voicedock.conversation.tools import (
    NO_TOOL,
    normalise_tools,
    settle,
)
from voicedock.engines.loader import build_llm, default_models_dir, read_manifest
from voicedock_bench.machine import describe as describe_machine

REPO = Path(__file__).resolve().parent.parent

DATA = REPO / "tests" / "conversation" / "data" / "booking_eval.json"


def machine() -> dict[str, Any]:
    try:
        import llama_cpp

        llama_version = llama_cpp.__version__
    except ImportError:
        llama_version = None
    return {**describe_machine(), "llama_cpp_python": llama_version}


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip().casefold() == got.strip().casefold()
    return bool(expected == got)


async def evaluate(llm: Any, data: dict[str, Any], limit: int | None) -> dict[str, Any]:
    now = datetime.fromisoformat(data["now"])
    settings = VoiceSettings.from_assistant(data["assistant"])
    specs = normalise_tools(settings.tools)
    system = {"role": "system", "content": system_prompt(settings.system_prompt, specs, now, settings.business_name)}
    prefill_seconds = await llm.prefill([system])
    results = []
    for case in data["cases"][:limit]:
        messages = [system, *case.get("history", []), {"role": "user", "content": case["caller"]}]
        started = time.perf_counter()
        decision = await decide(llm, messages, specs)
        earlier = [m["content"] for m in reversed(case.get("history", []))]
        verdict = settle(decision, now, case["caller"], earlier)
        seconds = time.perf_counter() - started
        chosen = decision.tool.name if decision.tool else NO_TOOL
        final = verdict.runs.name if verdict.runs else NO_TOOL
        args = verdict.arguments if verdict.runs else {}
        expect = case["expect"]
        wanted = expect.get("arguments") or {}
        choice_ok = final == expect["tool"]
        args_ok = choice_ok and all(_same(v, args.get(k)) for k, v in wanted.items())
        results.append(
            {
                "id": case["id"],
                "expected": expect,
                "intent": chosen,
                "final": final,
                "action": verdict.action,
                "model_arguments": decision.arguments,
                "arguments": verdict.arguments,
                "intent_ok": chosen == expect["tool"],
                "choice_ok": choice_ok,
                "arguments_ok": args_ok if wanted else None,
                "outcome_ok": choice_ok and args_ok is not False,
                "seconds": round(seconds, 3),
            }
        )
    with_args = [r for r in results if r["arguments_ok"] is not None and r["choice_ok"]]
    times = [r["seconds"] for r in results]
    return {
        "cases": len(results),
        "intent_accuracy": round(sum(r["intent_ok"] for r in results) / len(results), 3),
        "choice_accuracy": round(sum(r["choice_ok"] for r in results) / len(results), 3),
        "argument_accuracy": round(sum(bool(r["arguments_ok"]) for r in with_args) / max(1, len(with_args)), 3),
        "outcome_accuracy": round(sum(r["outcome_ok"] for r in results) / len(results), 3),
        "wrong_tool_run": [r["id"] for r in results if r["final"] != NO_TOOL and not r["choice_ok"]],
        "asked_for_details": [r["id"] for r in results if r["action"] == "ask"],
        "prefill_seconds": round(prefill_seconds, 2),
        "decision_seconds": {
            "mean": round(statistics.mean(times), 3),
            "p50": round(statistics.median(times), 3),
            "max": round(max(times), 3),
        },
        "intent_failures": [r["id"] for r in results if not r["intent_ok"]],
        "failures": [r["id"] for r in results if not r["outcome_ok"]],
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    models_dir = args.models_dir or default_models_dir()
    manifest = read_manifest(models_dir)
    spec = manifest["profiles"][args.profile]["llm"]
    started = time.perf_counter()
    llm = build_llm(spec, manifest, models_dir)
    load_seconds = time.perf_counter() - started
    data = json.loads(args.data.read_text())
    report = asyncio.run(evaluate(llm, data, args.limit))
    out = {
        "profile": args.profile,
        "model": spec["model"],
        "n_threads": spec.get("n_threads"),
        "load_seconds": round(load_seconds, 2),
        "machine": machine(),
        **report,
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))
    llm.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
