#!/usr/bin/env python3
"""Measure the session's tool decisions on a real local LLM: does each caller turn pick the right
tool with the right arguments?

Runs the same code as a live call (`decide` + `prepare_arguments` + validation) over
tests/conversation/data/booking_eval.json and prints one JSON object: choice accuracy,
argument accuracy, outcome accuracy (what the caller would get: the right tool with the right
arguments, or, where no tool was wanted, no tool run because its arguments did not validate),
the cases where a wrong tool would really run, per-case results, decision latency, the machine.

    scripts/eval_tools.py --profile cpu [--models-dir DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from voicedock.conversation.decide import decide, system_prompt  # noqa: E402
from voicedock.conversation.settings import VoiceSettings  # noqa: E402
from voicedock.conversation.tools import (  # noqa: E402
    NO_TOOL,
    normalise_tools,
    prepare_arguments,
    validation_errors,
)
from voicedock.engines.loader import build_llm, default_models_dir, read_manifest  # noqa: E402
from voicedock.machine import describe as describe_machine  # noqa: E402

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
        seconds = time.perf_counter() - started
        chosen = decision.tool.name if decision.tool else NO_TOOL
        earlier = [m["content"] for m in reversed(case.get("history", []))]
        args = (
            prepare_arguments(decision.tool, decision.arguments, now, case["caller"], earlier) if decision.tool else {}
        )
        expect = case["expect"]
        wanted = expect.get("arguments") or {}
        choice_ok = chosen == expect["tool"]
        args_ok = choice_ok and all(_same(v, args.get(k)) for k, v in wanted.items())
        would_run = decision.tool is not None and not validation_errors(decision.tool, args)
        results.append(
            {
                "id": case["id"],
                "expected": expect,
                "chosen": chosen,
                "model_arguments": decision.arguments,
                "arguments": args,
                "choice_ok": choice_ok,
                "arguments_ok": args_ok if wanted else None,
                "would_run": would_run,
                "outcome_ok": (choice_ok and args_ok is not False)
                if (choice_ok or would_run)
                else expect["tool"] == NO_TOOL,
                "seconds": round(seconds, 3),
            }
        )
    with_args = [r for r in results if r["arguments_ok"] is not None]
    times = [r["seconds"] for r in results]
    return {
        "cases": len(results),
        "choice_accuracy": round(sum(r["choice_ok"] for r in results) / len(results), 3),
        "argument_accuracy": round(sum(bool(r["arguments_ok"]) for r in with_args) / max(1, len(with_args)), 3),
        "overall_accuracy": round(
            sum(r["choice_ok"] and r["arguments_ok"] is not False for r in results) / len(results), 3
        ),
        "outcome_accuracy": round(sum(r["outcome_ok"] for r in results) / len(results), 3),
        "wrong_tool_run": [r["id"] for r in results if r["would_run"] and not r["choice_ok"]],
        "prefill_seconds": round(prefill_seconds, 2),
        "decision_seconds": {
            "mean": round(statistics.mean(times), 3),
            "p50": round(statistics.median(times), 3),
            "max": round(max(times), 3),
        },
        "failures": [r["id"] for r in results if not r["choice_ok"] or r["arguments_ok"] is False],
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
