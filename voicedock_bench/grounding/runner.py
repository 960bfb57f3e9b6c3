"""Play each dialogue through the real turn code (driver.py) and judge every turn and the summary.

Kept apart from the judge (pure rules) and the report (sums), so each reads on its own: this
module is the only one that sequences a call, feeds the canned tool results and decides which
text counts as a source for which turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from voicedock.assistant import CallAssistant
from voicedock.engines.base import LLM
from voicedock.engines.loader import Engines

from .dataset import BUILTINS, Domain, expected_calls
from .driver import TextCall, TurnOutcome
from .judge import (
    Sources,
    ToolRun,
    asks_for,
    invented_values,
    judge_fact,
    repeats_greeting,
    result_text,
    turn_right,
)
from .normalise import calendar_text, twelve_hour_forms
from .summary import judge_summary, value_renderings

RAN = ("ok", "error", "timeout")


class DialogueCall(Protocol):
    """What the judge needs of a call: `TextCall` (text into the turn code) or the real-call runner's
    `SipDialogueCall` (speech through Asterisk); both are judged by `run_dialogue` alone."""

    ended: bool

    async def start(self) -> str: ...
    async def turn(self, text: str, limit_seconds: float = 300.0) -> TurnOutcome: ...
    def messages(self) -> Sequence[Mapping[str, Any]]: ...
    async def analyse(self, llm: LLM) -> dict[str, Any]: ...


Place = Callable[[CallAssistant, datetime, "CannedServer"], DialogueCall]  # a record with another status ("needs_arguments") asked instead of running


def runs_of(out: TurnOutcome) -> list[ToolRun]:
    """The tools that ran in the turn; a hang-up or transfer counts even if no tool record says so."""
    runs = [ToolRun(str(r.get("name")), dict(r.get("arguments") or {})) for r in out.tool_calls
            if r.get("status") in RAN]
    names = {r.name for r in runs}
    if out.hangup is not None and "end_call" not in names:
        runs.append(ToolRun("end_call", {}))
    if out.transfer is not None and "transfer_call" not in names:
        runs.append(ToolRun("transfer_call", {"destination": out.transfer}))
    return runs


class CannedServer:
    """The dialogue's tool server: the current turn's canned result for the tool it expects (or
    accepts), else the domain's default result for that tool."""

    def __init__(self, domain: Domain, dialogue: Mapping[str, Any]) -> None:
        self.domain, self.dialogue, self.index = domain, dialogue, 0

    def __call__(self, name: str, arguments: Mapping[str, Any]) -> Any:
        expect = self.dialogue["turns"][self.index]["expect"]
        for option in [expect, *(expect.get("also_ok") or [])]:
            if option.get("tool") == name and "result" in option:
                return option["result"]
        return self.domain.default_results.get(name, {"ok": True})


def text_call(engines: Engines, dialogue: Mapping[str, Any]) -> Place:
    """The text runner's call: the dialogue's text straight into the session's turn code."""
    return lambda assistant, now, server: TextCall(engines, assistant, now, server,
                                                   call_id=f"grounding-{dialogue['id']}")


async def run_dialogue(place: Place, domain: Domain, dialogue: Mapping[str, Any], analysis_llm: LLM,
                       turn_timeout: float = 300.0) -> dict[str, Any]:
    """One dialogue on the call `place` makes: its per-turn records and its summary verdict."""
    now = datetime.fromisoformat(dialogue["now"])
    assistant = domain.parsed
    server = CannedServer(domain, dialogue)
    call = place(assistant, now, server)
    greeting = await call.start()
    prompt = assistant.system_prompt
    sources = Sources(prompt=prompt, today=now.date())
    context = "\n".join([prompt, twelve_hour_forms(prompt), calendar_text(now)])
    happened: set[str] = set()
    ran_args: list[Any] = []
    records: list[dict[str, Any]] = []
    ended_well: bool | None = None
    for i, turn in enumerate(dialogue["turns"]):
        options = expected_calls(turn)
        record: dict[str, Any] = {
            "dialogue": dialogue["id"], "domain": dialogue["domain"], "turn": i + 1, "caller": turn["caller"],
            "kind": "no_tool" if turn["expect"]["tool"] is None else "tool", "expected": options[0],
            "also_ok": options[1:], "fact": turn.get("fact"),
        }
        if call.ended:  # the call ended before this turn: fine after an acceptable ending, else a miss
            record.update(status="skipped" if ended_well else "not_run", right=None if ended_well else False)
            records.append(record)
            continue
        server.index = i
        sources.caller.append(turn["caller"])
        sources.given.extend((turn.get("gives") or {}).values())
        out = await call.turn(turn["caller"], turn_timeout)
        runs = runs_of(out)
        right = turn_right(options, runs)
        invented = [{"tool": run.name, "key": k, "value": v} for run in runs if run.name not in BUILTINS
                    for k, v in invented_values(run.arguments, sources)]
        for rec in out.tool_calls:
            if rec.get("status") == "ok":
                sources.results.append(result_text(rec.get("result")))
                ran_args.extend((rec.get("arguments") or {}).values())
                if (event := domain.events.get(str(rec.get("name")))) is not None:
                    happened.add(event)
        if out.transfer is not None:
            happened.add("transferred")
        record.update(
            status="error" if out.error else "ran", right=right, error=out.error,
            ran=[{"tool": r.name, "arguments": dict(r.arguments)} for r in runs],
            tool_calls=[{"tool": r.get("name"), "arguments": r.get("arguments"), "status": r.get("status")}
                        for r in out.tool_calls],
            asked=[r.get("asked") for r in out.tool_calls if r.get("status") == "needs_arguments"],
            reply=out.reply, invented=invented, greeting_repeat=repeats_greeting(out.reply, greeting),
            ended=out.hangup or (f"transfer:{out.transfer}" if out.transfer else None),
            decision_ms=None if out.decision_seconds is None else round(out.decision_seconds * 1000, 1),
            turn_ms=round(out.turn_seconds * 1000, 1),
        )
        if turn["expect"].get("asks_for") and not runs:
            record["asks_ok"] = asks_for(out.reply, turn["expect"]["asks_for"])
        if "fact" in turn:
            allowed = "\n".join([context, *sources.caller, *sources.results])
            verdict = judge_fact(turn["fact"], out.reply, allowed)
            record["fact_verdict"] = {"right": verdict.right, "invented": verdict.invented, "why": verdict.why}
        if call.ended:
            ended_well = right
        records.append(record)
    messages = call.messages()
    analysis = await call.analyse(analysis_llm)
    summary = str(analysis.get("summary") or "")
    caller_turns = sum(m.get("role") == "user" for m in messages)  # "a call with 5 caller turns" is true
    known = "\n".join([*(str(m.get("content", "")) for m in messages), *sources.results, f"{caller_turns} turns",
                       json.dumps(ran_args, default=str), value_renderings(ran_args), calendar_text(now)])
    judged = judge_summary(summary, dialogue["outcome"], happened, domain.events.values(), known, now.date())
    return {
        "id": dialogue["id"], "domain": dialogue["domain"], "now": dialogue["now"], "turns": records,
        "happened": sorted(happened), "expected_outcome": dialogue["outcome"], "summary": summary,
        "summary_violations": judged.violations, "summary_outcome_mentioned": judged.outcome_mentioned,
        "summary_missing": judged.missing,
    }
