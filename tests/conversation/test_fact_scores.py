"""The fact look-up answers the same question the same way in every process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json
from voicedock.conversation.facts import look_up
domain = json.load(open("voicedock_bench/grounding/data/domains.json"))["domains"]["restaurant"]
print(repr(look_up("How long do you hold tables anyway?", domain["assistant"]["system_prompt"]).score))
"""


def test_the_score_does_not_depend_on_the_interpreters_hash_seed() -> None:
    """Sets of words iterate in a per-process order; a score summed in that order came out 0.25
    in one process and 0.2499… (below the threshold: "I don't have that information") in another."""
    scores = {subprocess.run([sys.executable, "-c", SCRIPT], env={"PYTHONHASHSEED": str(seed)}, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.strip() for seed in range(16)}
    assert scores == {"0.25"}

