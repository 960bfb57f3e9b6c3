"""The tool part of a caller's turn: which tool (if any), with which grounded values, and running it.

A tool is an action in the customer's systems, so it runs only when the caller asked for it and
every required value came from the call (grounding.py). A value still missing is asked for, one
short fixed question at a time, and the tool waits (`PendingTool`) across as many turns as it
takes; a value the caller corrects replaces the old one. Every decision, including a question
asked instead of running, is on the call record with where each value came from.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicedock.engines.base import EngineError

from .core import SessionCore, say_turn
from .cues import Cue, asks_for, builtin_cue, confirms, is_chatter, reads_only
from .decide import decide, extract_arguments
from .grounding import Grounded, answer_for, ground_arguments, missing_required, question_for
from .speech import Timings, speak_text
from .state import Hangup, State, TransferTo
from .tool_runner import TOOL_TIMEOUT_SECONDS, ToolError
from .tools import END_CALL, TRANSFER_CALL, ToolSpec, validation_errors

log = logging.getLogger("voicedock.conversation")

GOODBYE = "Thank you for calling. Goodbye!"
TRANSFER_MESSAGE = "Please hold while I transfer your call."
FILLER = "One moment, let me check."
FILLER_AFTER_SECONDS = 0.7
TOOL_TIMEOUT_APOLOGY = "I'm sorry, that is taking too long right now. Could we try again in a moment?"
TOOL_ERROR_APOLOGY = "I'm sorry, something went wrong while I was doing that. Could we try again?"


@dataclass
class PendingTool:
    """A tool the caller asked for whose required values are not all known yet."""

    spec: ToolSpec
    values: dict[str, Grounded] = field(default_factory=dict)
    asked: str | None = None  # the value asked for last


async def tool_step(s: SessionCore, text: str, timings: Timings) -> bool:
    """Decide and act on tools for this caller turn; True when the turn's reply has been spoken."""
    cue = builtin_cue(text, s.specs)
    if cue is not None:
        return await _builtin(s, cue)
    offered = s.last_said()
    if s.pending is not None:
        spoken = await _continue_pending(s, s.pending, timings)
        if spoken is not None:
            return spoken
        if asks_for(s.pending.spec, text) or confirms(s.pending.spec, text, offered):
            return await _run_or_ask(s, s.pending, timings)  # "just book it": ask again for what is missing
    if is_chatter(text) and not offered.rstrip().endswith("?"):
        return False
    decision = await decide(s.engines.llm, s.context(), s.specs)
    spec = decision.tool
    if spec is None or spec.kind in (END_CALL, TRANSFER_CALL):
        return False  # the built-ins run on the caller's own words only (cues.py)
    if s.pending is not None and spec is s.pending.spec:
        return False  # the caller's turn gave nothing for it: answer, and ask again later
    values = ground_arguments(spec.parameters, decision.arguments, s.grounding_sources(), s.now)
    from_turn = [k for k, v in values.items() if v.turn == s.caller_turns]
    if not (asks_for(spec, text) or confirms(spec, text, offered) or (reads_only(spec) and from_turn)):
        log.info("tool choice not asked for by the caller; answering without it",
                 extra={"call_id": s.info.call_id, "tool": spec.name})
        return False
    s.pending = PendingTool(spec, values)
    return await _run_or_ask(s, s.pending, timings)


async def _continue_pending(s: SessionCore, pending: PendingTool, timings: Timings) -> bool | None:
    """The caller's turn while a tool waits for values: take what it gives, then run or ask again.

    None when the turn gave nothing for it; else whether the turn's reply has been spoken."""
    try:
        proposed = await extract_arguments(s.engines.llm, s.context(), pending.spec)
    except EngineError as err:
        log.warning("argument extraction failed", extra={"call_id": s.info.call_id, "code": err.code})
        proposed = {}
    sources = s.grounding_sources()
    values = ground_arguments(pending.spec.parameters, proposed, sources, s.now)
    asked = pending.asked
    if asked is not None and asked not in values and sources and sources[0].turn == s.caller_turns:
        prop = (pending.spec.parameters.get("properties") or {}).get(asked) or {}
        answer = answer_for(asked, prop, sources[0])
        if answer is not None:
            values[asked] = answer
    fresh = {k: v for k, v in values.items() if v.turn == s.caller_turns and pending.values.get(k) != v}
    if not fresh:
        return None
    pending.values.update(fresh)
    return await _run_or_ask(s, pending, timings)


async def _run_or_ask(s: SessionCore, pending: PendingTool, timings: Timings) -> bool:
    spec = pending.spec
    args = {k: g.value for k, g in pending.values.items()}
    sources = {k: g.describe() for k, g in pending.values.items()}
    record: dict[str, Any] = {"id": s.new_tool_call_id(), "name": spec.name, "arguments": args, "sources": sources}
    missing = missing_required(spec.parameters, args)
    errors = [] if missing else validation_errors(spec, args)
    if missing or errors:
        key = missing[0] if missing else next(iter(args), "")
        prop = (spec.parameters.get("properties") or {}).get(key) or {}
        question = question_for(key, prop) if missing else "Sorry, could you give me that again?"
        pending.asked = key
        await s.report_tool(record | {"status": "needs_arguments", "missing": missing, "errors": errors,
                                      "asked": question})
        s.add_note(f"The caller wants {spec.name}; you asked them: {question}")
        await _say(s, question, timings)
        return True
    s.pending = None
    s.set_state(State.TOOL)
    return await _run_function(s, spec, record, timings)


async def _builtin(s: SessionCore, cue: Cue) -> bool:
    s.pending = None
    s.set_state(State.TOOL)
    record: dict[str, Any] = {"id": s.new_tool_call_id(), "name": cue.spec.name, "arguments": {}}
    if cue.spec.kind == END_CALL:
        await s.report_tool(record | {"status": "ok", "result": "ending call"})
        await say_turn(s, GOODBYE, end=Hangup("assistant-ended-call"), interruptible=False)
        return True
    destination = cue.destination or ""
    await s.report_tool(record | {"arguments": {"destination": destination},
                                  "sources": {"destination": {"from": cue.source, "said": cue.said}},
                                  "status": "ok", "result": f"transferring to {destination}"})
    await say_turn(s, _transfer_message(cue.spec, destination), end=TransferTo(destination), interruptible=False)
    return True


def _transfer_message(spec: ToolSpec, destination: str) -> str:
    for dest in spec.destinations:
        if destination in (dest.get("number"), dest.get("sip_uri"), dest.get("sipUri")):
            return str(dest.get("message") or TRANSFER_MESSAGE)
    return TRANSFER_MESSAGE


async def _run_function(s: SessionCore, spec: ToolSpec, record: dict[str, Any], timings: Timings) -> bool:
    args = dict(record["arguments"])
    call = s.tool_runner(s.info, spec.config, str(record["id"]), args, record.get("sources"))
    if spec.is_async:
        s.spawn(_run_async_tool(s, call, record))
        s.add_note(f"The {spec.name} request was sent; its result will not be known during this call.")
        return False
    started = s.clock()
    task = asyncio.ensure_future(asyncio.wait_for(call, TOOL_TIMEOUT_SECONDS))
    try:
        done, _ = await asyncio.wait({task}, timeout=FILLER_AFTER_SECONDS)
        if not done:  # the caller hears a short filler, never silence, then the result
            await _say(s, FILLER, timings)
        result = await task
    except TimeoutError:
        await s.report_tool(record | {"status": "timeout", "seconds": round(s.clock() - started, 3)})
        return await _apologise(s, spec, TOOL_TIMEOUT_APOLOGY, timings)
    except ToolError as err:
        await s.report_tool(record | {"status": "error", "error": str(err)[:300]})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    except asyncio.CancelledError:
        task.cancel()
        raise
    except Exception as err:
        log.exception("tool runner failed", extra={"call_id": s.info.call_id, "tool": spec.name})
        await s.report_tool(record | {"status": "error", "error": type(err).__name__})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    await s.report_tool(record | {"status": "ok", "result": result, "seconds": round(s.clock() - started, 3)})
    s.add_result(spec.name, result)
    s.add_note(
        f"Result of {spec.name}({_compact(args)}): {_compact(result)}. "
        "Tell the caller the outcome in one or two sentences, using only these values."
    )
    return False


async def _say(s: SessionCore, text: str, timings: Timings) -> None:
    utterance = s.begin_utterance(True)
    await speak_text(s.engines.tts, text, s.playout, utterance, s.clock, timings)
    await s.report_latency(timings)
    await s.finish_utterance(utterance)


async def _apologise(s: SessionCore, spec: ToolSpec, apology: str, timings: Timings) -> bool:
    s.add_note(f"The {spec.name} tool failed; the caller was told to try again later.")
    await _say(s, apology, timings)
    return True


async def _run_async_tool(s: SessionCore, call: Any, record: dict[str, Any]) -> None:
    """Fire and forget: the conversation goes on; the outcome is still recorded on the call."""
    try:
        result = await asyncio.wait_for(call, TOOL_TIMEOUT_SECONDS)
        await s.report_tool(record | {"status": "ok", "async": True, "result": result})
    except asyncio.CancelledError:
        raise
    except Exception as err:
        await s.report_tool(record | {"status": "error", "async": True, "error": type(err).__name__})


def _compact(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:600]
