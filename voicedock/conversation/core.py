"""The state one voice session keeps, and the operations its turns and controls share.

`VoiceSession` (voice.py) owns the inbox loop; turns (turns.py) and control commands and timers
(session_control.py) act on this core: the history, the current turn, the current utterance and
the trace. Keeping it apart lets each of those modules read the state without importing the loop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from voicedock.engines.base import Message, Transcript, WordsTurnDetector, vad_for_call
from voicedock.engines.loader import Engines

from .base import AudioPort, CallActions, CallEvents, CallInfo, Pcm
from .decide import system_prompt
from .grounding import Said
from .history import window, window_start
from .interruption import Hold
from .latency import Abandoned, abandoned_entry, turn_entry
from .listener import Listener, caller_endpointer
from .prepared import NextReply
from .settings import VoiceSettings
from .speech import Playout, Timings, Utterance, speak_text
from .state import PHASE_OF_STATE, EndRequest, InboxEvent, Phase, State, TurnDone
from .tool_runner import NoToolRunner, ToolRunner
from .tools import normalise_tools
from .warming import Warmable, warm_history

log = logging.getLogger("voicedock.conversation")
T = TypeVar("T")

TurnFactory = Callable[[], Coroutine[Any, Any, None]]
# a turn waiting to run, with its caller audio and, for a caller turn, its latency marks
QueuedTurn = tuple[TurnFactory, "Pcm | None", "Timings | None"]


class SessionCore:
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
        self.clock: Callable[[], float] = clock or (lambda: asyncio.get_running_loop().time())
        self.tool_runner: ToolRunner = tool_runner or NoToolRunner()
        zone = ZoneInfo(info.assistant.timezone) if info.assistant.timezone else None
        self.now = (now or (lambda: datetime.now(zone) if zone else datetime.now().astimezone()))()
        self.report_dtmf = report_dtmf
        self.settings = VoiceSettings.from_assistant(info.assistant)
        self.specs = normalise_tools(self.settings.tools)
        prompt = system_prompt(self.settings.system_prompt, self.specs, self.now, self.settings.business_name)
        self.system: Message = {"role": "system", "content": prompt}
        self.history: list[Message] = []
        self.playout = Playout(audio)
        self.inbox: asyncio.Queue[InboxEvent] = asyncio.Queue()
        self.trace: list[tuple[float, State]] = []
        self.turn: asyncio.Task[None] | None = None
        self.turn_pcm: Pcm | None = None
        self.turn_timings: Timings | None = None
        self.turn_transcribed = False
        self.utterance: Utterance | None = None
        self.interruptible = True
        self.phase = Phase.IDLE
        self.carry: Pcm | None = None  # caller audio of an abandoned turn, joined to what follows
        self.early: tuple[int, asyncio.Task[Transcript]] | None = None  # transcription begun at a pause
        # the words model on a transcription begun at a pause: (pause, that transcription, its verdict)
        self.early_judged: tuple[int, asyncio.Task[Transcript], asyncio.Task[float | None]] | None = None
        self.hold: Hold | None = None  # the assistant's audio paused on the caller's voice (barge_in.py)
        self.resumed_over = False  # the caller's current speech was judged not to interrupt (barge_in.resume)
        self.warming: asyncio.Task[None] | None = None  # the history evaluated ahead of the next reply
        self.prepared = NextReply()  # the next reply, written ahead of its turn (prepared.py)
        self.queued: deque[QueuedTurn] = deque()
        self.idle_since: float | None = None
        self.silence_prompts = 0
        self.started = 0.0
        self.goodbye_started = False
        self.pending: Any = None  # a tool waiting for values the caller has not given yet (tool_turn.py)
        self.done: Any = None  # the last action tool run, which a correction may run again
        self.looked_up: Any = None  # the last look-up run, whose values a following action may take
        self.caller_turns = 0
        self.tool_turn = 0  # the caller turn whose reply speaks a tool's result
        self._said: list[Said] = []  # what values may come from: caller turns, tool results, context
        self._last_result: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self.listener = Listener(
            audio,
            vad_for_call(engines.vad),
            caller_endpointer(self.settings.wait_seconds, engines.turn),
            self.clock,
            self.inbox.put_nowait,
            turn=engines.turn,
            early_words=self._early_words,
        )

    # -- turns --------------------------------------------------------------------------------

    def start_turn(self, make: TurnFactory, pcm: Pcm | None = None, timings: Timings | None = None) -> None:
        """Run now if nothing is running, else after the current turn; turns never overlap."""
        if self.turn is not None:
            self.queued.append((make, pcm, timings))
            return
        self.idle_since = None
        self.turn_pcm = pcm
        self.turn_timings = timings
        self.turn_transcribed = False
        task = asyncio.create_task(make())
        self.turn = task
        task.add_done_callback(lambda t: self.inbox.put_nowait(TurnDone(t)))

    def next_turn(self) -> None:
        if self.queued:
            self.start_turn(*self.queued.popleft())
        else:
            self.become_idle()

    @property
    def speaking(self) -> bool:
        """Assistant audio of the current utterance has started going out."""
        return self.utterance is not None and bool(self.utterance.segments)

    def become_idle(self) -> None:
        self.utterance = None
        self.phase = Phase.IDLE
        if not self.listener.in_speech:
            self.idle_since = self.clock()
            self.set_state(State.LISTENING)

    async def stop_turn(self) -> None:
        """Cancel the running turn and wait until its generation and synthesis have stopped."""
        task, self.turn = self.turn, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def barge_in(self, why: State) -> None:
        """Silence the assistant now, stop the turn, keep in the history only what was heard."""
        at, cut = self.clock(), self.unanswered(queued=False)  # queued turns go on, joined to what follows
        utterance, self.utterance = self.utterance, None
        held, self.hold = self.hold, None
        if (utterance is not None and utterance.segments) or held is not None:
            self.playout.clear()  # also ends a pause
        self.set_state(why)
        heard = utterance.heard_text(self.audio.sent_seconds) if utterance else ""
        await self.stop_turn()
        self.carry = join_audio(self.carry, *(pcm for _, pcm, _ in self.queued))  # heard with what follows
        self.queued.clear()
        await self.report_abandoned(Abandoned.BARGE_IN if why is State.BARGE_IN else Abandoned.STOPPED, cut, at)
        if heard:
            await self.add_message("assistant", heard, interrupted=True)
        self.warm_history()  # while the caller goes on talking

    def prepare_reply(self, *ahead: Message) -> bool:
        """Begin writing the reply of the turn that will add `ahead` (the caller's words transcribed at
        their pause, after the heard part of a reply they interrupt) while the end of that turn is
        still being decided. False where it cannot be: a hosted model (it would bill replies never
        spoken), or tools, whose step decides the turn first and may need the model for itself."""
        llm = self.engines.llm
        if self.specs or not isinstance(llm, Warmable):
            return False
        self.prepared.begin(llm, self.context(*ahead), max_tokens=self.settings.max_tokens,
                            temperature=self.settings.temperature, spawn=self.spawn)
        return True

    def warm_history(self, *ahead: Message, still: Callable[[], bool] | None = None) -> None:
        """The history so far into the model's prompt cache, before the caller's next turn needs it.

        `ahead`: messages the coming turn will add (the caller's words transcribed at their pause,
        the heard part of a reply they interrupt), warmed while the end of their turn is still being
        decided, as long as `still` holds (default: no turn is running)."""
        llm = self.engines.llm
        if not isinstance(llm, Warmable):
            return
        # Until the caller's words are among them, the next request adds at least those, which may
        # move the window's start: what is warmed is the part of the history that request begins with.
        coming = [*self.history, *ahead]
        asked = coming if coming and coming[-1].get("role") == "user" else [*coming, {"role": "user", "content": ""}]
        start = window_start(asked)
        if self.warming is not None:
            self.warming.cancel()
        self.warming = self.spawn(warm_history(llm, [self.system, *coming[start:]], still or (lambda: self.turn is None)))

    async def _early_words(self, pause: int) -> tuple[str, float | None] | None:
        """The transcription begun at `pause`, with the words model's probability that it ends the
        caller's sentence (None without one); None when there is no transcription or it failed
        (the end-of-turn model alone decides then)."""
        early = self.transcribing(pause)
        if early is None:
            return None
        try:
            transcript = await asyncio.shield(early)  # the turn's reply takes the same result
        except Exception:  # the reply reports a failed transcription; here the model decides alone
            return None
        judged = self.early_judged
        if judged is None or judged[0] != pause:
            return transcript.text, None
        return transcript.text, await asyncio.shield(judged[2])

    def transcribing(self, pause: int) -> asyncio.Task[Transcript] | None:
        """The transcription of the caller's words up to `pause`: the one kept for their turn or,
        while the assistant is paused on their voice, the one that judges whether they interrupt.
        The end of the turn is decided on it in both cases: an interruption ("Sorry, actually I
        just need a loaf of bread.") once waited the longest wait, as only the voice model, unsure
        of it, was asked."""
        if self.early is not None and self.early[0] == pause:
            return self.early[1]
        judging = self.hold.judging if self.hold is not None else None
        return judging[1] if judging is not None and judging[0] == pause else None

    def judge_words_when_heard(self, pause: int, early: asyncio.Task[Transcript]) -> None:
        """Once the words up to `pause` are transcribed, the words model reads them at once, so its
        answer is there when the voice model's verdict comes (they run side by side). Once per
        transcription: the barge-in's, kept for the turn, is already being read."""
        words = self.engines.turn.words if self.engines.turn is not None else None
        if words is None or (self.early_judged is not None and self.early_judged[1] is early):
            return
        self.early_judged = (pause, early, self.spawn(_finished_probability(words, early)))

    def keep_early(self, early: tuple[int, asyncio.Task[Transcript]]) -> None:
        """A transcription of the caller's words up to a pause, for the turn that ends with it."""
        if self.early is not None and self.early[1] is not early[1]:
            self.early[1].cancel()
        self.early = early
        self.judge_words_when_heard(*early)

    def unstored_caller_audio(self) -> Pcm | None:
        """Caller audio whose words no turn has stored yet, oldest first: what a turn abandoned
        (`carry`), the running turn's if not transcribed yet, the queued turns', the speech going on."""
        running = self.turn_pcm if self.turn is not None and not self.turn_transcribed else None
        return join_audio(self.carry, running, *(pcm for _, pcm, _ in self.queued), self.listener.unfinished())

    def unanswered(self, *, queued: bool = True) -> list[Timings]:
        """The latency marks of turns not answered yet: the running one, then (`queued`) those waiting."""
        running = self.turn_timings if self.turn is not None and not self.turn.done() else None
        waiting = [t for _, _, t in self.queued] if queued else []
        return [t for t in (running, *waiting) if t is not None and "reported" not in t.marks]

    def begin_utterance(self, interruptible: bool) -> Utterance:
        self.utterance = Utterance(on_start=lambda: self.set_state(State.SPEAKING))
        self.interruptible = interruptible
        return self.utterance

    async def finish_utterance(self, utterance: Utterance) -> None:
        await self.audio.wait_sent()
        if self.utterance is not utterance:
            return  # cut off by a barge-in, which recorded what was heard
        self.utterance = None
        self.end_hold()
        if utterance.text:
            await self.add_message("assistant", utterance.text)

    def end_hold(self) -> None:
        """The paused utterance is over (all of it heard, or its turn failed): the output goes on,
        and a caller turn that ended meanwhile is an ordinary one."""
        hold, self.hold = self.hold, None
        if hold is None:
            return
        if hold.judging is not None:
            self.keep_early(hold.judging)
        self.playout.resume()
        if hold.ended is not None:
            self.inbox.put_nowait(hold.ended)

    # -- what turns report --------------------------------------------------------------------

    def context(self, *ahead: Message) -> list[Message]:
        """The model's request: now, or once the coming turn has added `ahead` to the history."""
        return [self.system, *window([*self.history, *ahead])]

    async def add_message(self, role: str, content: str, **extra: Any) -> None:
        self.history.append({"role": role, "content": content})
        await self.events.message(role, content, **extra)

    def note_caller(self, text: str) -> None:
        """A caller's turn: its words are what tool values may be taken from."""
        self.caller_turns += 1
        self._said.append(Said(text, "caller", self.caller_turns))

    def add_result(self, tool: str, result: Any) -> None:
        """A tool's result: later tool values may come from it (a booking reference, a tracking number)."""
        self.tool_turn = self.caller_turns
        self._last_result = result
        self._said.append(Said(_flatten(result), "tool_result"))

    def add_context(self, content: str) -> None:
        """Operator context (`inject-context`): for the model and as a source of values."""
        self.history.append({"role": "system", "content": content})
        self._said.append(Said(content, "context"))

    def last_result(self) -> Any:
        """The newest tool result as the tool returned it (None when no tool has returned one)."""
        return self._last_result

    def last_said(self) -> str:
        """The assistant's last words in the history ("" before it has said anything)."""
        return next((str(m["content"]) for m in reversed(self.history) if m["role"] == "assistant"), "")

    def grounding_sources(self) -> list[Said]:
        """Newest first: a value the caller just gave (or corrected) wins over an older one."""
        return list(reversed(self._said))

    def add_note(self, content: str) -> None:
        """Context for the LLM only (tool results, failures); the caller never hears it."""
        self.history.append({"role": "system", "content": content})

    async def report_tool(self, record: Mapping[str, Any]) -> None:
        await self.events.tool_call(record)

    async def report_latency(self, timings: Timings) -> None:
        if "first_audio" not in timings.marks or "reported" in timings.marks:
            return
        timings.mark("reported", self.clock())
        await self.events.turn_latency(turn_entry(timings))

    async def report_abandoned(self, why: Abandoned, turns: list[Timings], at: float) -> None:
        """Caller turns given up on at `at` still get a latency entry: they are the slowest ones."""
        entries = []
        for timings in turns:
            if "voice_end" in timings.marks and "reported" not in timings.marks:
                timings.mark("reported", at)
                entries.append(abandoned_entry(timings, why, at))
        for entry in entries:
            await self.events.turn_latency(entry)

    def new_tool_call_id(self) -> str:
        return f"call_{self.info.call_id}_{next(self._ids)}"

    def set_state(self, state: State) -> None:
        phase = PHASE_OF_STATE.get(state)
        if phase is not None:
            self.phase = phase
        self.trace.append((round(self.clock() - self.started, 3), state))
        log.debug("session state", extra={"call_id": self.info.call_id, "state": str(state)})

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A task the session cancels and awaits when it ends."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


async def _finished_probability(words: WordsTurnDetector, early: asyncio.Task[Transcript]) -> float | None:
    """The words model's probability for the transcript `early` gives, as soon as it gives it; None
    when either fails (the voice model decides alone then)."""
    try:
        transcript = await asyncio.shield(early)
    except Exception:  # the turn reports a failed transcription
        return None
    try:
        return await words.finished_probability(transcript.text)
    except Exception as err:
        log.warning("words end-of-turn model failed: %s", err)
        return None


def join_audio(*parts: Pcm | None) -> Pcm | None:
    """The parts that exist, one after the other; None when there are none."""
    present = [p for p in parts if p is not None and len(p)]
    return np.concatenate(present).astype(np.int16) if present else None


def _flatten(value: Any) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " ".join(_flatten(v) for v in value)
    return str(value)


async def say_turn(s: SessionCore, text: str, *, end: EndRequest | None = None, interruptible: bool = True) -> None:
    """Speak fixed text, then (optionally) ask the session to hang up or transfer."""
    if text.strip():
        utterance = s.begin_utterance(interruptible)
        await speak_text(s.engines.tts, text, s.playout, utterance, s.clock)
        await s.finish_utterance(utterance)
    if end is not None:
        s.inbox.put_nowait(end)
