"""Drive the real session's turn code with text: the only module that knows the session's API.

`reply_turn(session, None, Timings(), text=...)` is what a live turn runs once STT has the
caller's words, so the tool decision, the grounding of values, the questions asked and the reply
are the product's own. Audio is stubbed (a line that sends instantly, a silent TTS) and the
session's inbox loop is not run: the driver plays one turn at a time and then acts on any
hang-up or transfer the turn queued, as the loop would. When the session API changes, this
file is the one to adapt.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voicedock.assistant import CallAssistant
from voicedock.audio import Pcm
from voicedock.conversation.analysis import analyse
from voicedock.conversation.base import SAMPLE_RATE, CallInfo
from voicedock.conversation.session_control import end_now
from voicedock.conversation.speech import Timings
from voicedock.conversation.state import Hangup, TransferTo
from voicedock.conversation.turns import reply_turn, say_turn
from voicedock.conversation.voice import VoiceSession
from voicedock.engines.base import LLM
from voicedock.engines.loader import Engines

Answer = Callable[[str, Mapping[str, Any]], Any]
"""The canned tool server: (tool name, arguments) -> the result."""


class InstantLine:
    """AudioPort stand-in: audio is 'sent' the moment it is queued and counted, never kept."""

    def __init__(self) -> None:
        self._samples = 0

    async def read(self) -> Pcm | None:
        await asyncio.Event().wait()  # no caller audio: turns arrive as text
        return None

    def send_pcm(self, pcm: Pcm) -> None:
        self._samples += len(pcm)

    def flush(self) -> None:
        return None

    def clear_output(self) -> int:
        return 0

    def pause_output(self) -> None:
        return None

    def resume_output(self) -> None:
        return None

    @property
    def sent_seconds(self) -> float:
        return self._samples / SAMPLE_RATE

    async def wait_sent(self) -> None:
        return None


@dataclass
class CallLog:
    """CallEvents and CallActions at once: every report with its perf_counter time."""

    events: list[tuple[float, str, Any]] = field(default_factory=list)

    def _add(self, kind: str, value: Any) -> None:
        self.events.append((time.perf_counter(), kind, value))

    async def message(self, role: str, content: str, **extra: Any) -> None:
        self._add("message", {"role": role, "content": content, **extra})

    async def tool_call(self, record: Mapping[str, Any]) -> None:
        self._add("tool_call", dict(record))

    async def turn_latency(self, turn: Mapping[str, float]) -> None:
        self._add("latency", dict(turn))

    async def hangup(self, reason: str) -> None:
        self._add("hangup", reason)

    async def transfer(self, destination: str) -> None:
        self._add("transfer", destination)

    def since(self, index: int, kind: str) -> list[tuple[float, Any]]:
        return [(at, v) for at, k, v in self.events[index:] if k == kind]

    def messages(self) -> list[dict[str, Any]]:
        return [dict(v) for _, k, v in self.events if k == "message"]


class CannedTools:
    """ToolRunner answering from the dialogue's canned results; records when each call came."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[tuple[float, str, dict[str, Any]]] = []

    async def __call__(self, info: CallInfo, tool: Mapping[str, Any], call_id: str, arguments: Mapping[str, Any],
                       sources: Mapping[str, Any] | None = None) -> Any:
        name = str(tool.get("name") or (tool.get("function") or {}).get("name") or "")
        self.calls.append((time.perf_counter(), name, dict(arguments)))
        return self.answer(name, dict(arguments))


@dataclass
class TurnOutcome:
    """What one caller turn made happen."""

    caller: str
    tool_calls: list[dict[str, Any]]  # every record the session reported (ran or asked: see "status")
    replies: list[str]  # the assistant's spoken text in this turn
    hangup: str | None = None
    transfer: str | None = None
    decision_seconds: float | None = None
    turn_seconds: float = 0.0
    error: str | None = None

    @property
    def reply(self) -> str:
        return " ".join(self.replies)


class TextCall:
    """One call held in text: `start()` speaks the greeting, then `turn(text)` per caller turn."""

    def __init__(self, engines: Engines, assistant: CallAssistant, now: datetime, answer: Answer,
                 call_id: str = "grounding-eval") -> None:
        self.log = CallLog()
        self.tools = CannedTools(answer)
        info = CallInfo(call_id=call_id, direction="inbound", assistant=assistant, customer_phone="+15550100")
        self.session = VoiceSession(info, InstantLine(), self.log, self.log, engines=engines, clock=time.perf_counter,
                                    tool_runner=self.tools, now=lambda: now)
        self.engines = engines
        self.ended = False

    async def start(self) -> str:
        """The greeting, if the assistant speaks first, then the prompt prefill a live call does."""
        greeting = self.session.settings.greeting or ""
        if greeting:
            await say_turn(self.session, greeting)
        await self.engines.llm.prefill(self.session.context())
        return greeting

    async def turn(self, text: str, limit_seconds: float = 300.0) -> TurnOutcome:
        mark, calls_before = len(self.log.events), len(self.tools.calls)
        timings = Timings()
        started = time.perf_counter()
        error = None
        try:
            async with asyncio.timeout(limit_seconds):
                await reply_turn(self.session, None, timings, text=text)
        except TimeoutError:
            error = f"turn timed out after {limit_seconds:.0f} s"
        except Exception as err:  # a crash in the turn is a result to report, not a reason to stop the run
            error = f"{type(err).__name__}: {err}"[:300]
        await self._act_on_endings()
        ended_at = time.perf_counter()
        records = [v for _, v in self.log.since(mark, "tool_call")]
        firsts = [timings.marks.get(k) for k in ("llm_start", "tts_start")]
        firsts += [at for at, _ in self.log.since(mark, "tool_call")][:1]
        firsts += [at for at, _, _ in self.tools.calls[calls_before:]][:1]
        decided = min((f for f in firsts if f is not None), default=None)
        hangups = self.log.since(mark, "hangup")
        transfers = self.log.since(mark, "transfer")
        return TurnOutcome(
            caller=text,
            tool_calls=records,
            replies=[m["content"] for _, m in self.log.since(mark, "message") if m["role"] == "assistant"],
            hangup=str(hangups[0][1]) if hangups else None,
            transfer=str(transfers[0][1]) if transfers else None,
            decision_seconds=None if decided is None else max(0.0, decided - started),
            turn_seconds=ended_at - started,
            error=error,
        )

    async def _act_on_endings(self) -> None:
        """A goodbye or transfer is queued for the inbox loop once heard; act on it as the loop does."""
        while not self.session.inbox.empty():
            item = self.session.inbox.get_nowait()
            if isinstance(item, Hangup | TransferTo):
                await end_now(self.session, item)
                self.ended = True

    def messages(self) -> list[dict[str, Any]]:
        """The call's messages as the end-of-call analysis gets them."""
        return self.log.messages()

    def tool_records(self) -> list[dict[str, Any]]:
        return [dict(v) for _, k, v in self.log.events if k == "tool_call"]

    async def analyse(self, llm: LLM) -> dict[str, Any]:
        """The post-call analysis on what the call stored, as the controller runs it (the tool
        records go along where `analyse` takes them)."""
        assistant = self.session.info.assistant
        if "tool_calls" in inspect.signature(analyse).parameters:
            return await analyse(llm, assistant, self.messages(), self.tool_records())
        return await analyse(llm, assistant, self.messages())
