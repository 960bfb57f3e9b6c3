"""Sum per-turn and per-dialogue judgements into the figures the report leads with.

Every rate says what it is over (n), so a figure from a `--limit 3` smoke run cannot pass for one
from the full split, and every count comes with the list of cases behind it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def rate(flags: Sequence[bool]) -> dict[str, Any]:
    return {"value": round(sum(flags) / len(flags), 3) if flags else None, "n": len(flags)}


def metrics(dialogues: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The headline figures over some dialogues' results (runner.run_dialogue)."""
    turns = [t for d in dialogues for t in d["turns"]]
    judged = [t for t in turns if t.get("right") is not None]
    ran = [t for t in turns if t.get("status") in ("ran", "error")]
    facts = [t for t in ran if t.get("fact_verdict") is not None]
    answerable = [t for t in facts if t["fact"]["answerable"]]
    unanswerable = [t for t in facts if not t["fact"]["answerable"]]
    invented = [{"dialogue": t["dialogue"], "turn": t["turn"], **v} for t in ran for v in t.get("invented") or []]
    invented_facts = [{"dialogue": t["dialogue"], "turn": t["turn"], "caller": t["caller"], "reply": t["reply"],
                       "why": t["fact_verdict"]["why"]} for t in facts if t["fact_verdict"]["invented"]]
    repeats = [{"dialogue": t["dialogue"], "turn": t["turn"], "reply": t["reply"]} for t in ran if t.get("greeting_repeat")]
    violations = [{"dialogue": d["id"], "summary": d["summary"], "violations": d["summary_violations"]}
                  for d in dialogues if d["summary_violations"]]
    decisions = [t["decision_ms"] for t in ran if t.get("decision_ms") is not None]
    whole = [t["turn_ms"] for t in ran if t.get("turn_ms") is not None]
    return {
        "dialogues": len(dialogues),
        "turns": len(turns),
        "turns_judged": len(judged),
        "turn_accuracy": rate([t["right"] for t in judged]),
        "no_tool_accuracy": rate([t["right"] for t in judged if t["kind"] == "no_tool"]),
        "tool_turn_accuracy": rate([t["right"] for t in judged if t["kind"] == "tool"]),
        "wrong_turns": [{"dialogue": t["dialogue"], "turn": t["turn"], "expected": t["expected"],
                         "ran": t.get("ran"), "status": t.get("status")} for t in judged if not t["right"]],
        "invented_values": {"count": len(invented), "list": invented},
        "fact_accuracy": rate([t["fact_verdict"]["right"] for t in facts]),
        "fact_accuracy_answerable": rate([t["fact_verdict"]["right"] for t in answerable]),
        "fact_accuracy_unanswerable": rate([t["fact_verdict"]["right"] for t in unanswerable]),
        "invented_facts": {"count": len(invented_facts), "list": invented_facts},
        "greeting_repeats": {"count": len(repeats), "list": repeats},
        "asks_for_missing_value": rate([t["asks_ok"] for t in ran if "asks_ok" in t]),
        "summary_violations": {"count": len(violations), "total": sum(len(v["violations"]) for v in violations),
                               "list": violations},
        "summary_outcome_mentioned": rate([d["summary_outcome_mentioned"] for d in dialogues]),
        "decision_latency_ms": {"p50": percentile(decisions, 50), "p95": percentile(decisions, 95), "n": len(decisions)},
        "turn_latency_ms": {"p50": percentile(whole, 50), "p95": percentile(whole, 95), "n": len(whole)},
        "turn_errors": [{"dialogue": t["dialogue"], "turn": t["turn"], "error": t["error"]} for t in ran if t.get("error")],
        "turns_not_run": sum(t.get("status") == "not_run" for t in turns),
        "turns_skipped_after_ending": sum(t.get("status") == "skipped" for t in turns),
    }


def by_domain(dialogues: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = sorted({d["domain"] for d in dialogues})
    return {n: metrics([d for d in dialogues if d["domain"] == n]) for n in names}
