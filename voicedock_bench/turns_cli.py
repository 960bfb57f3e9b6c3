"""The `voicedock bench turns` arguments and command, cheap to import: the benchmark itself
(the SIP caller, aiohttp, the voices) is imported only when the command runs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from voicedock.engines.loader import default_models_dir, default_profile

from .questions import QUESTIONS, VOICES


def add_parser(sub: Any) -> None:
    p = sub.add_parser("turns", help="turn latency, barge-in, backchannels and WER over real SIP calls (needs root, Asterisk)")
    p.add_argument("--profile", default=default_profile(), help="model profile (default: $VOICEDOCK_MODEL_PROFILE or cpu)")
    p.add_argument("--models-dir", type=Path, default=default_models_dir())
    p.add_argument("--calls", type=int, default=2,
                   help="calls per voice (rounds per voice with --concurrent); 0 places only the --paused calls")
    p.add_argument("--concurrent", default=[1], type=_counts,
                   help="calls in progress at once, one run per number: 1,3 places single calls, then rounds of 3")
    p.add_argument("--questions", type=int, default=len(QUESTIONS), choices=range(len(QUESTIONS) + 1),
                   help="plain questions per call before the long one that is interrupted")
    p.add_argument("--voices", default=",".join(VOICES),
                   type=lambda s: [v.strip() for v in s.split(",") if v.strip()])
    p.add_argument("--paused", choices=("test", "dev", "none"), default="test",
                   help="say the false-cut-off set's paused sentences of this split, one call per voice, and "
                        "count those the assistant speaks into (about 4 minutes a voice)")
    p.add_argument("--paused-sentences", type=int, default=0,
                   help="with --paused: say only the first N sentences of the split per voice (0: all 24)")
    p.add_argument("--reply-timeout", type=float, default=20.0, help="seconds to wait for a reply to start")
    p.add_argument("--load-timeout", type=float, default=300.0, help="seconds for the server to load its models")
    p.add_argument("--out", default=str(Path.cwd() / "bench-results" / "turns.json"))
    p.add_argument("--audio-dir", default=str(Path.cwd() / "bench-results" / "turns-audio"),
                   help="keep the caller's sentences here and say the same renderings on later runs, so runs "
                        "compare code rather than renderings; '' renders them anew for this run only")
    p.set_defaults(fn=cmd_bench_turns)


def _counts(text: str) -> list[int]:
    try:
        counts = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        counts = []
    if not counts or any(n < 1 or n > 32 for n in counts):
        raise argparse.ArgumentTypeError(f"expected numbers from 1 to 32 separated by commas, not {text!r}")
    return counts


def cmd_bench_turns(args: argparse.Namespace) -> int:
    bad = [v for v in args.voices if v not in VOICES]
    if bad or not args.voices:
        print(f"error: --voices takes piper and/or espeak-ng, not {','.join(bad) or 'nothing'}", file=sys.stderr)
        return 2
    from .turns import bench

    try:
        data = bench(args)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in data.items() if k not in ("turns", "timeline", "transcripts")}, indent=2))
    return 0
