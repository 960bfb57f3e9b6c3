"""What one assistant turn does: transcribe, decide about tools, run one, and speak the answer.

Kept apart from the session's event loop (`voice.py`) so each reads top to bottom; the session
owns the state both touch (history, playout, the current utterance).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from voicedock.engines.base import EngineError, Transcript

from .base import SAMPLE_RATE, Pcm
from .core import SessionCore
from .decide import decide
from .speech import Timings, speak_stream, speak_text
from .state import EndRequest, Hangup, State, TransferTo
from .tool_runner import TOOL_TIMEOUT_SECONDS, ToolError
from .tools import ASK, DROP, END_CALL, TRANSFER_CALL, Decision, ToolSpec, settle

log = logging.getLogger("voicedock.conversation")

NO_SPEECH_PROB = 0.8
GOODBYE = "Thank you for calling. Goodbye!"
TRANSFER_MESSAGE = "Please hold while I transfer your call."
TOOL_TIMEOUT_APOLOGY = "I'm sorry, that is taking too long right now. Could we try again in a moment?"
TOOL_ERROR_APOLOGY = "I'm sorry, something went wrong while I was doing that. Could we try again?"
LLM_ERROR_APOLOGY = "I'm sorry, I didn't catch that. Could you say it again?"


async def say_turn(s: SessionCore, text: str, *, end: EndRequest | None = None, interruptible: bool = True) -> None:
    """Speak fixed text, then (optionally) ask the session to hang up or transfer."""
    if text.strip():
        utterance = s.begin_utterance(interruptible)
        await speak_text(s.engines.tts, text, s.playout, utterance, s.clock)
        await s.finish_utterance(utterance)
    if end is not None:
        s.inbox.put_nowait(end)


async def reply_turn(
    s: SessionCore, pcm: Pcm | None, timings: Timings, text: str | None = None,
    early: asyncio.Future[Transcript] | None = None,
) -> None:
    """A caller's turn (audio, or an already known transcript) or a triggered reply (neither).

    `early` is a transcription of the same audio begun at the caller's pause; `stt_ms` then counts
    only what was left of it after the end of the turn.
    """
    s.set_state(State.THINKING)
    if pcm is not None and text is None:
        timings.mark("stt_start", s.clock())
        transcript = await (early if early is not None else s.engines.stt.transcribe(pcm, SAMPLE_RATE))
        timings.mark("stt_end", s.clock())
        text = transcript.text.strip()
        if not text or transcript.no_speech_prob > NO_SPEECH_PROB:
            log.info("no words in the caller's audio", extra={"call_id": s.info.call_id})
            return
    else:
        timings.mark("stt_start", s.clock())
        timings.mark("stt_end", s.clock())
    if text:
        s.turn_transcribed = True
        await s.add_message("user", text)
    decision = await decide(s.engines.llm, s.context(), s.specs) if text else Decision(None)
    if decision.tool is not None:
        done = await _use_tool(s, decision, text or "", timings)
        if done:
            return
    await _speak_reply(s, timings)


async def _speak_reply(s: SessionCore, timings: Timings) -> None:
    utterance = s.begin_utterance(True)
    try:
        written = await speak_stream(
            s.engines.llm,
            s.engines.tts,
            s.context(),
            s.playout,
            utterance,
            s.clock,
            timings,
            max_tokens=s.settings.max_tokens,
            temperature=s.settings.temperature,
        )
    except EngineError as err:
        log.warning("reply generation failed", extra={"call_id": s.info.call_id, "code": err.code})
        await speak_text(s.engines.tts, LLM_ERROR_APOLOGY, s.playout, utterance, s.clock, timings)
        written = LLM_ERROR_APOLOGY
    await s.report_latency(timings)
    if not utterance.segments and written:
        log.info("reply had no speakable text", extra={"call_id": s.info.call_id})
    await s.finish_utterance(utterance)


async def _use_tool(s: SessionCore, decision: Decision, caller_text: str, timings: Timings) -> bool:
    """Run the chosen tool; True when the turn is complete (goodbye, transfer or apology spoken)."""
    spec = decision.tool
    assert spec is not None
    earlier = [str(m.get("content", "")) for m in reversed(s.history[:-1])]
    verdict = settle(decision, s.now, caller_text, earlier)
    args, errors = verdict.arguments, verdict.errors
    if verdict.action == DROP:
        log.info(
            "tool choice not supported by the caller's words; answering without it",
            extra={"call_id": s.info.call_id, "tool": spec.name},
        )
        return False
    s.set_state(State.TOOL)
    call_id = s.new_tool_call_id()
    record: dict[str, Any] = {"id": call_id, "name": spec.name, "arguments": args}
    if verdict.action == ASK:
        await s.report_tool(record | {"status": "invalid_arguments", "error": "; ".join(errors)})
        s.add_note(
            f"The {spec.name} tool was not used because its arguments were incomplete or invalid "
            f"({'; '.join(errors)}). Ask the caller for what is missing."
        )
        return False
    if spec.kind == END_CALL:
        await s.report_tool(record | {"status": "ok", "result": "ending call"})
        await say_turn(s, GOODBYE, end=Hangup("assistant-ended-call"), interruptible=False)
        return True
    if spec.kind == TRANSFER_CALL:
        destination = str(args["destination"])
        await s.report_tool(record | {"status": "ok", "result": f"transferring to {destination}"})
        message = _transfer_message(spec, destination)
        await say_turn(s, message, end=TransferTo(destination), interruptible=False)
        return True
    return await _run_function(s, spec, call_id, args, record, timings)


def _transfer_message(spec: ToolSpec, destination: str) -> str:
    for dest in spec.destinations:
        if destination in (dest.get("number"), dest.get("sip_uri"), dest.get("sipUri")):
            return str(dest.get("message") or TRANSFER_MESSAGE)
    return TRANSFER_MESSAGE


async def _run_function(
    s: SessionCore, spec: ToolSpec, call_id: str, args: dict[str, Any], record: dict[str, Any], timings: Timings
) -> bool:
    if spec.is_async:
        s.spawn(_run_async_tool(s, spec, call_id, args, record))
        s.add_note(f"The {spec.name} request was sent; its result will not be known during this call.")
        return False
    started = s.clock()
    try:
        result = await asyncio.wait_for(s.tool_runner(s.info, spec.config, call_id, args), TOOL_TIMEOUT_SECONDS)
    except TimeoutError:
        await s.report_tool(record | {"status": "timeout", "seconds": round(s.clock() - started, 3)})
        return await _apologise(s, spec, TOOL_TIMEOUT_APOLOGY, timings)
    except ToolError as err:
        await s.report_tool(record | {"status": "error", "error": str(err)[:300]})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    except Exception as err:
        log.exception("tool runner failed", extra={"call_id": s.info.call_id, "tool": spec.name})
        await s.report_tool(record | {"status": "error", "error": type(err).__name__})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    await s.report_tool(record | {"status": "ok", "result": result, "seconds": round(s.clock() - started, 3)})
    s.add_note(
        f"Result of {spec.name}({_compact(args)}): {_compact(result)}. "
        "Tell the caller the outcome in one or two sentences."
    )
    return False


async def _apologise(s: SessionCore, spec: ToolSpec, apology: str, timings: Timings) -> bool:
    s.add_note(f"The {spec.name} tool failed; the caller was told to try again later.")
    utterance = s.begin_utterance(True)
    await speak_text(s.engines.tts, apology, s.playout, utterance, s.clock, timings)
    await s.report_latency(timings)
    await s.finish_utterance(utterance)
    return True


async def _run_async_tool(
    s: SessionCore, spec: ToolSpec, call_id: str, args: dict[str, Any], record: dict[str, Any]
) -> None:
    """Fire and forget: the conversation goes on; the outcome is still recorded on the call."""
    try:
        result = await asyncio.wait_for(s.tool_runner(s.info, spec.config, call_id, args), TOOL_TIMEOUT_SECONDS)
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
