"""python -m voicedock_bench.grounding: run the grounding set through the session's turn code.

    python -m voicedock_bench.grounding --profile cpu --split dev [--models-dir D] [--limit N] [--out FILE]
    python -m voicedock_bench.grounding --engines fake --split dev --limit 2     # plumbing only, seconds
    python -m voicedock_bench.grounding --via sip --profile cpu --split test [--voices piper,espeak]
                                                        # real SIP calls through Asterisk (root, Asterisk)

Prints one JSON object (and writes it to --out): the machine, profile, model, split, the set's
counts, overall and per-domain figures, and every turn's record. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from voicedock.engines.base import LLM, EngineError
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from voicedock.engines.loader import (
    Engines,
    build_facts,
    build_llm,
    default_models_dir,
    missing_files,
    read_manifest,
    role_models,
)
from voicedock_bench.machine import describe

from .dataset import counts, load_domains, load_split
from .report import by_domain, metrics
from .runner import run_dialogue, text_call

FAKE_REPLY = "Sorry, I can't help with that."


def machine() -> dict[str, Any]:
    try:
        import llama_cpp

        llama_version: str | None = llama_cpp.__version__
    except ImportError:
        llama_version = None
    return {**describe(), "llama_cpp_python": llama_version}


def build_engines(kind: str, profile: str, models_dir: Path | None,
                  facts: bool = True) -> tuple[Engines, str, dict[str, Any], str | None]:
    """The LLM under test (or a FakeLLM that is no help at all), with text-only stand-ins around it,
    and the profile's facts encoder unless `facts` is off (it is fast and decides no tool, so the
    code-only runs keep it too); with the LLM's and the encoder's model ids and the LLM's settings."""
    directory = models_dir or default_models_dir()
    manifest = read_manifest(directory)
    if profile not in manifest["profiles"]:
        raise SystemExit(f"unknown profile {profile!r}; known: {', '.join(manifest['profiles'])}")
    encoder, facts_model = None, None
    if facts and (facts_spec := manifest["profiles"][profile].get("facts")):
        if missing := missing_files(manifest, directory, role_models("facts", facts_spec)):
            raise EngineError("model_missing", f"facts encoder not installed in {directory}: {', '.join(missing)}")
        encoder, facts_model = build_facts(facts_spec, manifest, directory), str(facts_spec["model"])
    if kind == "fake":
        llm: LLM = FakeLLM(replies=(FAKE_REPLY,))
        return Engines("fake", FakeVAD(), FakeSTT(), llm, FakeTTS(delay=0), facts=encoder), "fake", {}, facts_model
    spec = manifest["profiles"][profile]["llm"]
    llm = build_llm(spec, manifest, directory)
    settings = {k: spec.get(k) for k in ("n_ctx", "n_threads", "n_gpu_layers")}
    engines = Engines(profile, FakeVAD(), FakeSTT(), llm, FakeTTS(delay=0), facts=encoder)
    return engines, str(spec["model"]), settings, facts_model


async def evaluate(engines: Engines, dialogues: list[dict[str, Any]], turn_timeout: float) -> list[dict[str, Any]]:
    domains = load_domains()
    results = []
    for n, dialogue in enumerate(dialogues, 1):
        started = time.perf_counter()
        place = text_call(engines, dialogue)
        result = await run_dialogue(place, domains[dialogue["domain"]], dialogue, engines.llm, turn_timeout)
        right = sum(bool(t.get("right")) for t in result["turns"])
        print(f"[{n}/{len(dialogues)}] {dialogue['id']}: {right}/{len(result['turns'])} turns right, "
              f"{len(result['summary_violations'])} summary violations ({time.perf_counter() - started:.1f} s)",
              file=sys.stderr, flush=True)
        results.append(result)
    return results


def emit(report: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(report, indent=1, ensure_ascii=False, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    print(text)


def run_via_sip(args: argparse.Namespace, selected: list[dict[str, Any]]) -> int:
    """The real-call runner (imported only here: it needs aiohttp, the SIP phone and the voices)."""
    if args.engines != "real":
        print("grounding: --via sip runs the server's real models; --engines fake is for --via text", file=sys.stderr)
        return 2
    from .sip_runner import run_sip

    try:
        report = run_sip(args, selected)
    except (RuntimeError, ValueError, OSError) as err:
        print(f"grounding: {err}", file=sys.stderr)
        return 1
    emit({"machine": machine(), **report}, args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicedock_bench.grounding", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", help="model profile whose LLM is measured (default cpu)")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N dialogues of the split")
    parser.add_argument("--ids", default=None, help="only these dialogues of the split (comma-separated ids)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument("--engines", choices=["real", "fake"], default="real",
                        help="fake: a FakeLLM that answers nothing useful, to test the plumbing in seconds")
    parser.add_argument("--facts", choices=["profile", "none"], default="profile",
                        help="the facts look-up's sentence encoder: the profile's (default) or none (words alone)")
    parser.add_argument("--turn-timeout", type=float, default=300.0, help="seconds before a turn counts as hung")
    parser.add_argument("--via", choices=["text", "sip"], default="text",
                        help="sip: one real call per dialogue and voice through Asterisk (sip_runner.py)")
    parser.add_argument("--voices", default="piper", help="--via sip: caller voices, piper and/or espeak")
    parser.add_argument("--clock", choices=["faketime", "real"], default="faketime",
                        help="--via sip: faketime sets the server's clock to each dialogue's now (default); "
                             "real leaves it (plumbing only: date verdicts then mean nothing)")
    parser.add_argument("--reply-timeout", type=float, default=30.0,
                        help="--via sip: seconds for the assistant's reply to start")
    parser.add_argument("--load-timeout", type=float, default=300.0,
                        help="--via sip: seconds for the server to load its models")
    args = parser.parse_args(argv)
    dialogues = load_split(args.split)
    if args.ids:
        wanted = {i.strip() for i in args.ids.split(",") if i.strip()}
        if unknown := wanted - {d["id"] for d in dialogues}:
            parser.error(f"not in the {args.split} split: {', '.join(sorted(unknown))}")
        dialogues = [d for d in dialogues if d["id"] in wanted]
    selected = dialogues[: args.limit] if args.limit is not None else dialogues
    if args.via == "sip":
        return run_via_sip(args, selected)
    started = time.perf_counter()
    try:
        engines, model, settings, facts_model = build_engines(args.engines, args.profile, args.models_dir,
                                                              args.facts == "profile")
    except EngineError as err:
        print(f"grounding: cannot load the {args.profile} profile's models: {err}", file=sys.stderr)
        return 2
    load_seconds = time.perf_counter() - started
    try:
        results = asyncio.run(evaluate(engines, selected, args.turn_timeout))
    finally:
        close = getattr(engines.llm, "close", None)
        if callable(close):
            close()
    report = {
        "machine": machine(),
        "profile": args.profile if args.engines == "real" else "fake",
        "engines": args.engines,
        "model": model,
        "llm_settings": settings,
        "facts": facts_model,
        "split": args.split,
        "limit": args.limit,
        "load_seconds": round(load_seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "counts": counts(selected),
        "overall": metrics(results),
        "per_domain": by_domain(results),
        "dialogues": [{k: v for k, v in r.items() if k != "turns"} for r in results],
        "turns": [t for r in results for t in r["turns"]],
    }
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
