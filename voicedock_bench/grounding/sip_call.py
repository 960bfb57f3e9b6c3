"""One dialogue as a real SIP call, behind the same interface as the text runner's `TextCall`.

`runner.run_dialogue` is the one definition of how a dialogue is sequenced and judged; the
real-call runner hands it this class instead of `TextCall`, so both runners judge with the same
code and write the same records. Here a caller turn is: the caller's text spoken (Piper or
espeak-ng, 8 kHz µ-law through Asterisk), then waiting at the caller until the assistant's
reply has ended, then reading the call's record through the REST API. What the turn made
happen is taken from that record, as a customer would see it: tool calls by their `turn` (the
session's caller-turn number, mapped onto the dialogue's turns by the user messages each
dialogue turn produced), the assistant's messages in order, and the session's own transcript
of the caller (for the word error rate).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np

from voicedock.conversation.tool_turn import FILLER
from voicedock_bench import turn_metrics as tm
from voicedock_bench.sip_caller import SipCall
from voicedock_bench.turn_call import LOUD

from .driver import TurnOutcome
from .sip_server import Line, Rig

END_QUIET = 2.5  # seconds of silence after assistant audio that end its reply
NOT_HEARD_GRACE = 5.0  # seconds to wait for a caller message the session may never store (STT heard nothing)
READ_EVERY = 1.0  # seconds between reads of the record while a reply may be ending (the API is rate-limited)
READ_WHILE_TALKING = 2.0  # the same while audio still plays (for a goodbye or transfer already on the record)
LEAD = 2.0  # seconds between aiming the server clock at `now` and dialling
ENDINGS = ("end_call", "transfer_call")


def _users(messages: list[dict[str, Any]]) -> int:
    return sum(m.get("role") == "user" for m in messages)


class SipDialogueCall:
    """`start()` dials and waits out the greeting, `turn(text)` per caller turn, then the record."""

    def __init__(self, rig: Rig, line: Line, now: datetime, answer: Callable[[str, Mapping[str, Any]], Any],
                 audio: Mapping[str, np.ndarray], turns: int, greeting: str, reply_timeout: float = 30.0,
                 analysis_timeout: float = 180.0) -> None:
        self.rig, self.line, self.now, self.answer, self.audio = rig, line, now, answer, audio
        self.turns, self.greeting = turns, greeting
        self.reply_timeout, self.analysis_timeout = reply_timeout, analysis_timeout
        self.ended = False
        self.sip: SipCall | None = None
        self.call_id: str | None = None
        self.record: dict[str, Any] = {"messages": [], "tool_calls": []}
        self.final: dict[str, Any] | None = None
        self.audits: list[dict[str, Any]] = []  # per dialogue turn: what the caller side measured
        self.clock_diff_s: float | None = None
        self.analysis_wait_s: float | None = None  # hang-up to the record with its post-call analysis
        self._marks = (0, 0, 0)  # messages, tool records, user messages already assigned to turns

    async def start(self) -> str:
        assert self.rig.tools is not None
        self.rig.tools.answer = self.answer
        if self.rig.clock.library is not None:
            self.rig.clock.aim(self.now, LEAD)
            self.clock_diff_s = round(await self.rig.wait_clock(), 1)
        self.sip = SipCall(user=f"grounding{len(self.rig.known_calls)}")
        await self.sip.dial(self.rig.sip_uri(self.line.number))
        loop = asyncio.get_running_loop()
        dialled = loop.time()
        found = await self.rig.new_call()
        if found is None:
            raise RuntimeError("the call was answered but no call record appeared")
        self.call_id = str(found["id"])
        first = await self._voice(dialled, 20.0)
        if first is not None:
            await self._reply_done(first, users_before=None, within=60.0)
        self._marks = (len(self.record["messages"]), len(self.record["tool_calls"]), _users(self.record["messages"]))
        return self.greeting

    async def turn(self, text: str, limit_seconds: float = 300.0) -> TurnOutcome:
        assert self.sip is not None
        started = time.perf_counter()
        error, first, done_at, voice_end, spoke = None, None, None, None, None
        _, _, users_before = self._marks
        try:
            async with asyncio.timeout(limit_seconds):
                played = await self.sip.play(self.audio[text])
                voice_end, spoke = played.voice_ended or played.ended, played.started
                first = await self._voice(voice_end, self.reply_timeout)
                if first is not None:
                    done_at = await self._reply_done(first, users_before, limit_seconds)
                else:
                    await self._refresh()
        except TimeoutError:
            error = f"turn timed out after {limit_seconds:.0f} s"
        outcome, audit = self._assign(text)
        audit.update(caller_speech_ms=None if voice_end is None or spoke is None else round((voice_end - spoke) * 1000),
                     reply_latency_ms=None if first is None or voice_end is None else round((first - voice_end) * 1000, 1),
                     reply_ms=None if done_at is None or voice_end is None else round((done_at - voice_end) * 1000, 1))
        if first is None and error is None:
            error = None if self.sip.far_end_hung_up.is_set() else f"no reply within {self.reply_timeout:.0f} s"
        outcome.error = error
        outcome.turn_seconds = (done_at - voice_end) if done_at and voice_end else time.perf_counter() - started
        self.audits.append(audit)
        if self.ended or len(self.audits) >= self.turns:
            await self.finish()
        return outcome

    def _assign(self, text: str) -> tuple[TurnOutcome, dict[str, Any]]:
        """This dialogue turn's share of the record: its user messages (session turns), the tool calls
        of those session turns, and the assistant messages since the last turn."""
        messages, tools = self.record["messages"], self.record["tool_calls"]
        m0, t0, u0 = self._marks
        users = _users(messages)
        session_turns = list(range(u0 + 1, users + 1))
        mine: list[dict[str, Any]] = []
        late: list[dict[str, Any]] = []
        for rec in tools[t0:]:
            turn = rec.get("turn")
            (late if isinstance(turn, int) and turn <= u0 else mine).append(dict(rec))
        for rec in late:  # a tool of an earlier dialogue turn, recorded only after that turn was judged
            owner = next((a for a in self.audits if turn_in(rec.get("turn"), a["session_turns"])), None)
            if owner is not None:
                owner.setdefault("late_tool_calls", []).append(_brief(rec))
        new = messages[m0:]
        heard = " ".join(str(m.get("content", "")) for m in new if m.get("role") == "user").strip()
        errors, words = tm.word_errors(text, heard)
        self._marks = (len(messages), len(tools), users)
        ran = [r for r in mine if r.get("status") == "ok"]
        hung_up = self.sip is not None and self.sip.far_end_hung_up.is_set()
        self.ended = hung_up or any(r.get("name") in ENDINGS for r in ran)
        outcome = TurnOutcome(
            caller=text, tool_calls=mine,
            replies=[str(m.get("content", "")) for m in new if m.get("role") == "assistant"],
            hangup="far end hung up" if hung_up and not any(r.get("name") in ENDINGS for r in ran) else None,
        )
        hits = self.rig.tools.for_call(self.call_id) if self.rig.tools is not None else []
        audit: dict[str, Any] = {
            "heard": heard, "wer": {"errors": errors, "words": words}, "session_turns": session_turns,
            "tool_webhooks": sum(h.name in {str(r.get("name")) for r in mine} for h in hits),
        }
        return outcome, audit

    async def finish(self) -> None:
        """Hang up (unless the far end did) and wait for the record with its post-call analysis."""
        if self.final is not None:
            return
        if self.sip is not None:
            await self.sip.hangup()
        self.ended = True
        if self.call_id is not None:
            started = time.monotonic()
            self.final = await self.rig.finished(self.call_id, self.analysis_timeout)
            self.record = self.final
            self.analysis_wait_s = round(time.monotonic() - started, 1)

    async def close(self) -> None:
        """For errors: make sure the line is free for the next call."""
        if self.sip is not None and self.final is None:
            await self.sip.hangup()

    def messages(self) -> list[dict[str, Any]]:
        return [dict(m) for m in self.record.get("messages") or []]

    def tool_records(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.record.get("tool_calls") or []]

    async def analyse(self, llm: Any = None) -> dict[str, Any]:
        """The server's own post-call analysis, as stored on the record (the `llm` is unused)."""
        await self.finish()
        analysis = dict((self.final or {}).get("analysis") or {})
        analysis["summary"] = (self.final or {}).get("summary") or analysis.get("summary") or ""
        return analysis

    # -- waiting at the caller ---------------------------------------------------------------------

    async def _voice(self, after: float, within: float) -> float | None:
        """When assistant audio starts after `after` (None: not within `within`, or hung up)."""
        assert self.sip is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline and not self.sip.far_end_hung_up.is_set():
            if (found := tm.voice_starts(self.sip.heard, after, LOUD)) is not None:
                return found
            await asyncio.sleep(0.02)
        return None

    async def _reply_done(self, first: float, users_before: int | None, within: float) -> float | None:
        """When the reply that began at `first` has ended: END_QUIET of silence at the caller, and the
        record's newest message is the assistant's (not a filler), after this turn's caller message.
        After a goodbye or transfer is on the record, its message ends the turn: what the caller hears
        next is Asterisk's (ringing a transfer target), not the assistant."""
        assert self.sip is not None
        loop = asyncio.get_running_loop()
        deadline, read_at = loop.time() + within, loop.time()
        while loop.time() < deadline:
            if self.sip.far_end_hung_up.is_set():
                await self._refresh()
                return loop.time()
            stop = tm.voice_stops(self.sip.heard, first, LOUD, END_QUIET)
            if stop is not None and (again := tm.voice_starts(self.sip.heard, stop + 0.02, LOUD)) is not None:
                first = again  # more audio after the pause: the reply goes on
                continue
            if loop.time() - read_at >= (READ_EVERY if stop is not None else READ_WHILE_TALKING):
                read_at = loop.time()
                await self._refresh()
                messages = self.record["messages"]
                last = messages[-1] if messages else {}
                said = last.get("role") == "assistant" and last.get("content") != FILLER
                if said and self._ending_recorded():
                    return loop.time() if stop is None else stop
                heard = users_before is None or _users(messages) > users_before
                if stop is not None and said and (heard or loop.time() - stop > NOT_HEARD_GRACE):
                    return stop
            await asyncio.sleep(0.25)
        await self._refresh()
        return None

    def _ending_recorded(self) -> bool:
        """An end_call or transfer_call that ran since the last dialogue turn."""
        return any(r.get("name") in ENDINGS and r.get("status") == "ok"
                   for r in self.record["tool_calls"][self._marks[1]:])

    async def _refresh(self) -> None:
        if self.call_id is not None:
            self.record = await self.rig.call(self.call_id)


def turn_in(turn: Any, session_turns: list[int]) -> bool:
    return isinstance(turn, int) and turn in session_turns


def _brief(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {"tool": rec.get("name"), "arguments": rec.get("arguments"), "status": rec.get("status"),
            "turn": rec.get("turn")}
