"""The voice session: one call's conversation, built from engines it is handed (VAD, STT, LLM, TTS).

Everything that happens to a call (caller speech, control commands, finished turns, timers) goes
through one inbox read by `run()`, so state changes happen in one place and in order. Turns run
as a child task that barge-in, a new caller utterance or a hang-up can cancel at any await.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import assert_never

import numpy as np

from voicedock.engines.base import Transcript
from voicedock.engines.loader import Engines

from .barge_in import (
    hold_deadline,
    hold_turn_end,
    judge_at_pause,
    on_hold_timer,
    on_judged,
    on_speech_confirmed,
    pause_late,
    pause_on_onset,
)
from .base import SAMPLE_RATE, AudioPort, CallActions, CallEvents, CallInfo, Session, SessionCommand, SessionFactory
from .core import SessionCore, join_audio
from .latency import Abandoned
from .listener import MediaEnded, SpeechEnded, SpeechOnset, SpeechPaused, SpeechStarted
from .session_control import end_now, handle_command, handle_timer, next_deadline
from .speech import Timings
from .state import Hangup, InboxEvent, Judged, PendingCommand, Phase, State, TransferTo, TurnDone
from .tool_runner import ToolRunner
from .turns import LLM_ERROR_APOLOGY, NO_SPEECH_PROB, reply_turn, say_turn, warm_reply

log = logging.getLogger("voicedock.conversation")

LAST_WORDS_SECONDS = 10.0  # transcribing a hung-up caller's last words may delay the call's ending this long


class VoiceSession(SessionCore):
    """Implements `Session`; see docs/conversation.md for turn-taking, barge-in and tools."""

    _running = False

    # -- Session ------------------------------------------------------------------------------

    async def run(self) -> str | None:
        self.started = self.clock()
        self._running = True
        self.spawn(self._prefill())
        listener = asyncio.create_task(self.listener.run(), name=f"listen-{self.info.call_id}")
        getter: asyncio.Task[InboxEvent] | None = None
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
                    reason = await self._on_timer()
                if reason is not None:
                    return reason or None
        finally:
            self._running = False
            at, unanswered = self.clock(), self.unanswered()
            for task in [t for t in (getter, self.turn, listener) if t is not None] + list(self._tasks):
                task.cancel()
            await asyncio.gather(*[t for t in (getter, self.turn, listener) if t], *self._tasks, return_exceptions=True)
            if getter is not None and not getter.cancelled() and getter.exception() is None:
                self.inbox.put_nowait(getter.result())  # taken from the inbox but never handled
            self._fail_pending_commands()
            await self._keep_abandoned_turns(unanswered, at)
            await self._keep_what_was_heard()
            await self._keep_what_was_said()

    async def _keep_abandoned_turns(self, unanswered: list[Timings], at: float) -> None:
        """The call ended while caller turns waited for their reply: their latency is on record."""
        try:
            await self.report_abandoned(Abandoned.HANGUP, unanswered, at)
        except Exception:
            log.warning("could not record the abandoned turns' latency", extra={"call_id": self.info.call_id},
                        exc_info=True)

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

    async def _keep_what_was_said(self) -> None:
        """The call ended before a turn stored the caller's last words (the caller hung up while the
        assistant thought, or in the middle of a sentence): transcribe them for the record."""
        pcm = self.unstored_caller_audio()
        if pcm is None:
            return
        try:
            transcript = await asyncio.wait_for(self.engines.stt.transcribe(pcm, SAMPLE_RATE), LAST_WORDS_SECONDS)
            text = transcript.text.strip()
            if text and transcript.no_speech_prob <= NO_SPEECH_PROB:
                await self.add_message("user", text)
        except Exception:
            log.warning("could not record the caller's last words", extra={"call_id": self.info.call_id},
                        exc_info=True)

    async def command(self, command: SessionCommand) -> str:
        if not self._running:
            return "the call's session is not running"
        pending = PendingCommand(command, asyncio.get_running_loop().create_future())
        self.inbox.put_nowait(pending)
        return await pending.result

    # -- the inbox ----------------------------------------------------------------------------

    async def _handle(self, item: InboxEvent) -> str | None:
        """One inbox event; an ended_reason ("" for media gone) when the session must stop."""
        match item:
            case SpeechOnset():
                self.prepared.drop()  # the caller goes on: the words it answers are not their turn's
                pause_on_onset(self)
            case SpeechStarted():
                await on_speech_confirmed(self)
                await self._on_speech_started()
            case Judged():
                self._answer(await on_judged(self, item.pause))
            case SpeechPaused():
                self._on_speech_paused(item)
            case SpeechEnded():
                await self._on_speech_ended(item)
            case TurnDone():
                self._on_turn_done(item.task)
            case Hangup() | TransferTo():
                return await end_now(self, item)
            case PendingCommand():
                return await handle_command(self, item)
            case MediaEnded():
                self.set_state(State.MEDIA_ENDED)
                return ""
            case _:
                assert_never(item)
        return None

    async def _on_timer(self) -> str | None:
        if (hold_due := hold_deadline(self)) is not None and self.clock() >= hold_due - 1e-9:
            self._answer(await on_hold_timer(self))
            return None
        return await handle_timer(self)

    def _answer(self, ended: SpeechEnded | None) -> None:
        """A caller turn that ended while the assistant was paused, now found to interrupt it."""
        if ended is not None:
            self._queue_reply(ended)

    def _on_turn_done(self, task: asyncio.Task[None]) -> None:
        failed = not task.cancelled() and task.exception() is not None
        if failed:
            log.error("turn failed", extra={"call_id": self.info.call_id}, exc_info=task.exception())
        if task is self.turn:
            self.turn = None
            self.end_hold()
            if failed:  # never leave the caller in silence: apologise and listen again
                self.queued.appendleft((lambda: say_turn(self, LLM_ERROR_APOLOGY), None, None))
            self.next_turn()
            if self.turn is None and not failed:
                self.warm_history()

    async def _on_speech_started(self) -> None:
        self.idle_since = None
        self.resumed_over = False
        self.silence_prompts = 0
        if self.turn is not None and not self.speaking and self.phase is Phase.THINKING:
            # The caller was not done: drop the half-made reply; audio not yet transcribed is kept
            # and transcribed together with what follows.
            self.set_state(State.REPLY_ABANDONED)
            if not self.turn_transcribed:
                self.carry = join_audio(self.carry, self.turn_pcm)
            at, cut = self.clock(), self.unanswered(queued=False)
            self.turn.cancel()
            self.turn = None
            await self.report_abandoned(Abandoned.BARGE_IN, cut, at)
        self.set_state(State.CALLER_SPEAKING)

    def _on_speech_paused(self, event: SpeechPaused) -> None:
        """Start transcribing at the first pause, while endpointing still waits to be sure the caller
        is done: if nothing but silence follows, the turn's transcript is ready sooner."""
        if self.hold is not None:
            judge_at_pause(self, event)
            return
        self._drop_early()
        if self.speaking or self.carry is not None:
            return  # over the assistant's goodbye, or audio that will be joined: transcribed later
        early = self.spawn(self.engines.stt.transcribe(event.pcm, SAMPLE_RATE))
        self.early = (event.pause, early)
        self.judge_words_when_heard(event.pause, early)
        early.add_done_callback(lambda done: self._warm_ahead(event.pause, done))

    def _warm_ahead(self, pause: int, done: asyncio.Task[Transcript]) -> None:
        """The caller's words up to a pause are known: while the end of the turn is still being
        decided (up to the longest wait), the reply's request, their words included, goes into the
        model's prompt cache, so a reply that needs the model starts with its first token. Not when
        the instructions answer them, nor once the caller went on or a turn runs."""
        if done.cancelled() or done.exception() is not None or self.turn is not None:
            return
        if self.early is None or self.early[0] != pause or self.early[1] is not done:
            return
        transcript = done.result()
        if transcript.no_speech_prob <= NO_SPEECH_PROB:
            warm_reply(self, transcript.text.strip(),
                       still=lambda: self.turn is None and self.early is not None and self.early[1] is done)

    def _drop_early(self) -> None:
        if self.early is not None:
            self.early[1].cancel()
            self.early = None
            self.prepared.drop()

    async def _on_speech_ended(self, event: SpeechEnded) -> None:
        if self.hold is not None:  # its words decide whether it interrupts
            self._answer(await hold_turn_end(self, event))
            return
        if self.speaking:
            # words not judged yet (the assistant began speaking after the caller did, with no pause
            # for them): judged now, as words over the assistant are
            if not self.resumed_over and pause_late(self, event):
                return
            self.set_state(State.BACKCHANNEL_IGNORED)  # judged a backchannel already, or said over a goodbye
            return
        if self.turn is not None:
            self.set_state(State.CALLER_SPOKE_DURING_TURN)
        self._queue_reply(event)

    def _queue_reply(self, event: SpeechEnded) -> None:
        carry, self.carry = self.carry, None  # earlier words not transcribed yet: transcribed with these, in order
        pcm = event.pcm if carry is None else np.concatenate([carry, event.pcm])
        early = None
        if self.early is not None and carry is None and self.early[0] == event.pause:
            early, self.early = self.early[1], None
        self._drop_early()
        timings = Timings()
        timings.mark("voice_end", event.last_voice_at)
        timings.mark("endpoint", event.at)
        timings.speak_not_before = event.last_voice_at + self.settings.wait_seconds
        self.start_turn(lambda: reply_turn(self, pcm, timings, None, early), pcm=pcm, timings=timings)

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
            if isinstance(item, PendingCommand) and not item.result.done():
                item.result.set_result("the call has ended")


def voice_session_factory(
    engines: Engines,
    *,
    clock: Callable[[], float] | None = None,
    tool_runner: ToolRunner | None = None,
    now: Callable[[], datetime] | None = None,
    report_dtmf: bool = False,
    per_call: Callable[[CallInfo, Engines], Engines] | None = None,
) -> SessionFactory:
    """What the call controller takes as its `session_factory`; one engine set serves every call,
    except the engines `per_call` swaps in for a call's assistant (its speech providers)."""

    def make(info: CallInfo, audio: AudioPort, events: CallEvents, actions: CallActions) -> Session:
        return VoiceSession(
            info,
            audio,
            events,
            actions,
            engines=per_call(info, engines) if per_call is not None else engines,
            clock=clock,
            tool_runner=tool_runner,
            now=now,
            report_dtmf=report_dtmf,
        )

    return make
