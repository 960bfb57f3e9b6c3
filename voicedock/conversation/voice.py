"""The voice session: one call's conversation, built from engines it is handed (VAD, STT, LLM, TTS).

Everything that happens to a call (caller speech, control commands, finished turns, timers) goes
through one inbox read by `run()`, so state changes happen in one place and in order. Turns run
as a child task that barge-in, a new caller utterance or a hang-up can cancel at any await.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from voicedock.engines.base import Message, Transcript
from voicedock.engines.endpointing import Endpointer
from voicedock.engines.loader import Engines

from .base import SAMPLE_RATE, AudioPort, CallActions, CallEvents, CallInfo, Session, SessionFactory
from .decide import system_prompt
from .listener import Listener, MediaEnded, SpeechEnded, SpeechPaused, SpeechStarted, SpeechSustained
from .session_control import Command, handle_command, handle_timer, next_deadline
from .settings import VoiceSettings
from .speech import Playout, Timings, Utterance
from .tool_runner import NoToolRunner, ToolRunner
from .tools import normalise_tools
from .turns import LLM_ERROR_APOLOGY, EndRequest, reply_turn, say_turn

log = logging.getLogger("voicedock.conversation")
T = TypeVar("T")

HISTORY_MESSAGES = 24  # the last messages sent to the LLM besides the system prompt


class TurnDone:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self.task = task


class VoiceSession:
    """Implements `Session`; see docs/conversation.md for turn-taking, barge-in and tools."""

    def __init__(
        self,
        info: CallInfo,
        audio: AudioPort,
        events: CallEvents,
        actions: CallActions,
        *,
        engines: Engines,
        clock: Callable[[], float] | None = None,
        tool_runner: ToolRunner | None = None,
        now: Callable[[], datetime] | None = None,
        report_dtmf: bool = False,
    ) -> None:
        self.info, self.audio, self.events, self.actions = info, audio, events, actions
        self.engines = engines
        self.clock = clock or (lambda: asyncio.get_running_loop().time())
        self.tool_runner: ToolRunner = tool_runner or NoToolRunner()
        self.now = (now or (lambda: datetime.now().astimezone()))()
        self.report_dtmf = report_dtmf
        self.settings = VoiceSettings.from_assistant(info.assistant)
        self.specs = normalise_tools(self.settings.tools)
        prompt = system_prompt(self.settings.system_prompt, self.specs, self.now, self.settings.business_name)
        self.system: Message = {"role": "system", "content": prompt}
        self.history: list[Message] = []
        self.playout = Playout(audio)
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        self.trace: list[tuple[float, str]] = []
        self.turn: asyncio.Task[None] | None = None
        self.turn_pcm: Any = None
        self.turn_transcribed = False
        self.utterance: Utterance | None = None
        self.interruptible = True
        self.phase = "idle"
        self.carry: Any = None
        self.early: tuple[int, asyncio.Task[Transcript]] | None = None  # transcription begun at a pause
        self.queued: deque[Callable[[], Coroutine[Any, Any, None]]] = deque()
        self.idle_since: float | None = None
        self.silence_prompts = 0
        self.started = 0.0
        self.goodbye_started = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self._running = False
        self.listener = Listener(
            audio,
            engines.vad,
            Endpointer(wait_seconds=self.settings.wait_seconds, timeout_seconds=0.0),
            self.clock,
            self.inbox.put_nowait,
            sustain_seconds=self.settings.barge_in_voice_seconds,
        )

    # -- Session ------------------------------------------------------------------------------

    async def run(self) -> str | None:
        self.started = self.clock()
        self._running = True
        self.spawn(self._prefill())
        listener = asyncio.create_task(self.listener.run(), name=f"listen-{self.info.call_id}")
        getter: asyncio.Task[object] | None = None
        try:
            greeting = self.settings.greeting
            if greeting:
                self.start_turn(lambda: say_turn(self, greeting))
            else:
                self.become_idle()
            while True:
                if getter is None:
                    getter = asyncio.create_task(self.inbox.get())
                deadline = next_deadline(self)
                timeout = None if math.isinf(deadline) else max(0.0, deadline - self.clock())
                done, _ = await asyncio.wait({getter}, timeout=timeout)
                if getter in done:
                    item, getter = getter.result(), None
                    reason = await self._handle(item)
                else:
                    reason = await handle_timer(self)
                if reason is not None:
                    return reason or None
        finally:
            self._running = False
            for task in [t for t in (getter, self.turn, listener) if t is not None] + list(self._tasks):
                task.cancel()
            await asyncio.gather(*[t for t in (getter, self.turn, listener) if t], *self._tasks, return_exceptions=True)
            if getter is not None and not getter.cancelled() and getter.exception() is None:
                self.inbox.put_nowait(getter.result())  # taken from the inbox but never handled
            self._fail_pending_commands()
            await self._keep_what_was_heard()

    async def _keep_what_was_heard(self) -> None:
        """The call ended mid-sentence: the transcript keeps the part the caller heard."""
        utterance, self.utterance = self.utterance, None
        heard = utterance.heard_text(self.audio.sent_seconds) if utterance is not None else ""
        if heard:
            try:
                await self.add_message("assistant", heard, interrupted=True)
            except Exception:
                log.warning("could not record the last utterance", extra={"call_id": self.info.call_id},
                            exc_info=True)

    async def command(self, command: Mapping[str, Any]) -> str:
        if not self._running:
            return "the call's session is not running"
        item = Command(dict(command), asyncio.get_running_loop().create_future())
        self.inbox.put_nowait(item)
        return await item.result

    # -- the inbox ----------------------------------------------------------------------------

    async def _handle(self, item: object) -> str | None:
        if isinstance(item, SpeechStarted):
            self._on_speech_started()
        elif isinstance(item, SpeechSustained):
            if self.speaking and self.interruptible and self.settings.barge_in_words <= 0:
                await self.barge_in("barge-in")
        elif isinstance(item, SpeechPaused):
            self._on_speech_paused(item)
        elif isinstance(item, SpeechEnded):
            await self._on_speech_ended(item)
        elif isinstance(item, TurnDone):
            failed = not item.task.cancelled() and item.task.exception() is not None
            if failed:
                log.error("turn failed", extra={"call_id": self.info.call_id}, exc_info=item.task.exception())
            if item.task is self.turn:
                self.turn = None
                if failed:  # never leave the caller in silence: apologise and listen again
                    self.queued.appendleft(lambda: say_turn(self, LLM_ERROR_APOLOGY))
                self._next_turn()
        elif isinstance(item, EndRequest):
            return await self._end(item)
        elif isinstance(item, Command):
            return await handle_command(self, item)
        elif isinstance(item, MediaEnded):
            self.set_state("media-ended")
            return ""
        return None

    def _on_speech_started(self) -> None:
        self.idle_since = None
        self.silence_prompts = 0
        if self.turn is not None and not self.speaking and self.phase == "thinking":
            # The caller was not done: drop the half-made reply; audio not yet transcribed is kept
            # and transcribed together with what follows.
            self.set_state("reply-abandoned")
            if not self.turn_transcribed:
                self.carry = self.turn_pcm
            self.turn.cancel()
            self.turn = None
        self.set_state("caller-speaking")

    def _on_speech_paused(self, event: SpeechPaused) -> None:
        """Start transcribing at the first pause, while endpointing still waits to be sure the caller
        is done: if nothing but silence follows, the turn's transcript is ready sooner."""
        self._drop_early()
        if self.speaking or self.carry is not None:
            return  # a barge-in or backchannel check, or audio that will be joined: transcribed later
        self.early = (event.pause, self.spawn(self.engines.stt.transcribe(event.pcm, SAMPLE_RATE)))

    def _drop_early(self) -> None:
        if self.early is not None:
            self.early[1].cancel()
            self.early = None

    async def _on_speech_ended(self, event: SpeechEnded) -> None:
        if self.speaking:
            if self.settings.barge_in_words <= 0 or not self.interruptible:
                self.set_state("backchannel-ignored")
                return
            transcript = await self.engines.stt.transcribe(event.pcm, 8000)
            if len(transcript.text.split()) < self.settings.barge_in_words or not self.speaking:
                self.set_state("backchannel-ignored")
                return
            await self.barge_in("barge-in")
            self._queue_reply(event, transcript.text.strip())
            return
        if self.turn is not None:
            self.set_state("caller-spoke-during-turn")
        self._queue_reply(event, None)

    def _queue_reply(self, event: SpeechEnded, text: str | None) -> None:
        carry, self.carry = self.carry, None
        pcm = event.pcm if carry is None or text is not None else np.concatenate([carry, event.pcm])
        early = None
        if self.early is not None and text is None and carry is None and self.early[0] == event.pause:
            early, self.early = self.early[1], None
        self._drop_early()
        timings = Timings()
        timings.mark("voice_end", event.last_voice_at)
        timings.mark("endpoint", event.at)
        self.start_turn(lambda: reply_turn(self, pcm, timings, text, early), pcm=pcm)

    # -- turns --------------------------------------------------------------------------------

    def start_turn(self, make: Callable[[], Coroutine[Any, Any, None]], pcm: Any = None) -> None:
        """Run now if nothing is running, else after the current turn; turns never overlap."""
        if self.turn is not None:
            self.queued.append(make)
            return
        self.idle_since = None
        self.turn_pcm = pcm
        self.turn_transcribed = False
        self.turn = asyncio.create_task(make())
        task = self.turn
        task.add_done_callback(lambda t: self.inbox.put_nowait(TurnDone(t)))

    def _next_turn(self) -> None:
        if self.queued:
            self.start_turn(self.queued.popleft())
        else:
            self.become_idle()

    @property
    def speaking(self) -> bool:
        """Assistant audio of the current utterance has started going out."""
        return self.utterance is not None and bool(self.utterance.segments)

    def become_idle(self) -> None:
        self.utterance = None
        self.phase = "idle"
        if not self.listener.in_speech:
            self.idle_since = self.clock()
            self.set_state("listening")

    async def stop_turn(self) -> None:
        """Cancel the running turn and wait until its generation and synthesis have stopped."""
        task, self.turn = self.turn, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def barge_in(self, why: str) -> None:
        """Silence the assistant now, stop the turn, keep in the history only what was heard."""
        utterance, self.utterance = self.utterance, None
        if utterance is not None and utterance.segments:
            self.playout.clear()
        self.set_state(why)
        heard = utterance.heard_text(self.audio.sent_seconds) if utterance else ""
        await self.stop_turn()
        self.queued.clear()
        if heard:
            await self.add_message("assistant", heard, interrupted=True)

    def begin_utterance(self, interruptible: bool) -> Utterance:
        self.utterance = Utterance(on_start=lambda: self.set_state("speaking"))
        self.interruptible = interruptible
        return self.utterance

    async def finish_utterance(self, utterance: Utterance) -> None:
        await self.audio.wait_sent()
        if self.utterance is not utterance:
            return  # cut off by a barge-in, which recorded what was heard
        self.utterance = None
        if utterance.text:
            await self.add_message("assistant", utterance.text)

    async def _end(self, request: EndRequest) -> str:
        self.set_state(f"ending:{request.action}")
        if request.action == "transfer":
            await self.actions.transfer(request.argument)
            return "transferred"
        await self.actions.hangup(request.argument)
        return request.argument

    # -- what turns report --------------------------------------------------------------------

    def context(self) -> list[Message]:
        return [self.system, *self.history[-HISTORY_MESSAGES:]]

    async def add_message(self, role: str, content: str, **extra: Any) -> None:
        self.history.append({"role": role, "content": content})
        await self.events.message(role, content, **extra)

    def add_note(self, content: str) -> None:
        """Context for the LLM only (tool results, failures); the caller never hears it."""
        self.history.append({"role": "system", "content": content})

    async def report_tool(self, record: Mapping[str, Any]) -> None:
        await self.events.tool_call(record)

    async def report_latency(self, timings: Timings) -> None:
        if "first_audio" not in timings.marks or "reported" in timings.marks:
            return
        timings.mark("reported", self.clock())
        await self.events.turn_latency(
            {
                "endpointing_ms": timings.ms("voice_end", "endpoint"),
                "stt_ms": timings.ms("stt_start", "stt_end"),
                "llm_ttft_ms": timings.ms("stt_end", "llm_first_token"),
                "tts_ttfb_ms": timings.ms("tts_start", "first_audio"),
                "total_ms": timings.ms("voice_end" if "voice_end" in timings.marks else "stt_start", "first_audio"),
            }
        )

    def new_tool_call_id(self) -> str:
        return f"call_{self.info.call_id}_{next(self._ids)}"

    def set_state(self, state: str) -> None:
        if state in ("thinking", "tool", "speaking"):
            self.phase = state
        self.trace.append((round(self.clock() - self.started, 3), state))
        log.debug("session state", extra={"call_id": self.info.call_id, "state": state})

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A task the session cancels and awaits when it ends."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _prefill(self) -> None:
        """Evaluate the head every request of this call starts with, while the greeting plays: the
        system prompt and, when the assistant speaks first, its greeting, which opens the history."""
        head = [self.system]
        if self.settings.greeting:
            head.append({"role": "assistant", "content": self.settings.greeting})
        try:
            seconds = await self.engines.llm.prefill(head)
            log.info("system prompt prefilled", extra={"call_id": self.info.call_id, "seconds": round(seconds, 3)})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("prefill failed", extra={"call_id": self.info.call_id}, exc_info=True)

    def _fail_pending_commands(self) -> None:
        while not self.inbox.empty():
            item = self.inbox.get_nowait()
            if isinstance(item, Command) and not item.result.done():
                item.result.set_result("the call has ended")


def voice_session_factory(
    engines: Engines,
    *,
    clock: Callable[[], float] | None = None,
    tool_runner: ToolRunner | None = None,
    now: Callable[[], datetime] | None = None,
    report_dtmf: bool = False,
) -> SessionFactory:
    """What the call controller takes as its `session_factory`; one engine set serves every call."""

    def make(info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> Session:
        return VoiceSession(
            info,
            audio,
            events,
            actions,
            engines=engines,
            clock=clock,
            tool_runner=tool_runner,
            now=now,
            report_dtmf=report_dtmf,
        )

    return make
