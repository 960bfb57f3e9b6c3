"""A one-call test harness: a virtual-time event loop, a scripted caller line, and a recorder.

`run_call(script)` plays a caller script against a `VoiceSession` built from fake engines and
returns everything the session reported, stamped with virtual time; a 60-second call runs in
milliseconds and the same script always gives the same events.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from tests.commands import command as parse_command
from voicedock.assistant import CallAssistant
from voicedock.conversation.base import SAMPLE_RATE, CallInfo
from voicedock.conversation.voice import VoiceSession, voice_session_factory
from voicedock.engines.loader import Engines, fake_engines

FIXED_NOW = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)  # a Tuesday
FRAME = 160


class _VirtualSelector(selectors.BaseSelector):
    """Real I/O is polled without waiting; a wait for timers jumps the virtual clock instead."""

    def __init__(self, advance: Callable[[float], None]) -> None:
        self._real = selectors.DefaultSelector()
        self._advance = advance

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # only threads can wake us: wait for them for real
            ready = self._real.select(10.0)
            if not ready:
                raise RuntimeError("virtual loop stalled: nothing scheduled and no thread running")
            return ready
        self._advance(timeout)
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(_VirtualSelector(self._advance))

    def time(self) -> float:
        return self._virtual_now

    def _advance(self, seconds: float) -> None:
        self._virtual_now += max(0.0, seconds)


def run_virtual(coro: Coroutine[Any, Any, Any]) -> Any:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def tone(seconds: float, amplitude: int = 6000) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    return (np.sin(2 * np.pi * 300 * np.arange(n) / SAMPLE_RATE) * amplitude).astype(np.int16)


# Caller script steps: ("speak", seconds) loud frames, ("silence", seconds) quiet frames,
# ("gap", seconds) no frames at all (silence suppression), ("audio", pcm) real 8 kHz speech,
# ("hangup",) end of media.
Step = tuple[Any, ...]


class FakeAudioPort:
    """Delivers the caller script frame by frame in virtual time; plays assistant audio on a timeline.

    The timeline runs on the playout clock: virtual time less the time spent paused, so `segments`
    are where each piece of audio sits in what the caller heard; `pauses` are in virtual time.
    """

    def __init__(self, script: Sequence[Step]) -> None:
        self._frames = self._schedule(script)
        self.segments: list[list[float]] = []  # [start, end] of each send_pcm, on the playout clock
        self.clears: list[tuple[float, int]] = []
        self.sends: list[tuple[float, float]] = []  # (time, seconds)
        self.pcm_out: list[np.ndarray] = []
        self.pauses: list[list[float]] = []  # [start, end] in virtual time; end is inf while paused
        self._t0: float | None = None

    @staticmethod
    def _schedule(script: Sequence[Step]) -> list[tuple[float, np.ndarray | None]]:
        t, out = 0.0, []
        for step in script:
            kind = step[0]
            if kind == "hangup":
                out.append((t, None))
                break
            if kind == "audio":
                pcm = np.asarray(step[1], dtype=np.int16)
                for i in range(0, len(pcm) - FRAME + 1, FRAME):
                    t += FRAME / SAMPLE_RATE
                    out.append((t, pcm[i : i + FRAME]))
                continue
            seconds = float(step[1])
            if kind == "gap":
                t += seconds
                continue
            pcm = tone(seconds) if kind == "speak" else np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
            for i in range(0, len(pcm) - FRAME + 1, FRAME):
                t += FRAME / SAMPLE_RATE
                out.append((t, pcm[i : i + FRAME]))
        return out

    @staticmethod
    def _virtual() -> float:
        return asyncio.get_running_loop().time()

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] == float("inf")

    def _now(self) -> float:
        """The playout clock: virtual time less the time spent paused."""
        now = self._virtual()
        return now - sum(min(b, now) - a for a, b in self.pauses)

    def playout_time(self, virtual: float) -> float:
        """Where virtual time `virtual` falls on the playout clock."""
        return virtual - sum(max(0.0, min(b, virtual) - a) for a, b in self.pauses)

    async def read(self) -> np.ndarray | None:
        if not self._frames:
            await asyncio.Event().wait()  # the line stays open and silent
        if self._t0 is None:
            self._t0 = self._virtual()
        at, frame = self._frames[0]
        at += self._t0
        if at > self._virtual():
            await asyncio.sleep(at - self._virtual())
        self._frames.pop(0)
        return frame

    def send_pcm(self, pcm: np.ndarray) -> None:
        now = self._now()
        start = max(now, self.segments[-1][1] if self.segments else 0.0)
        seconds = len(pcm) / SAMPLE_RATE
        self.segments.append([start, start + seconds])
        self.sends.append((self._virtual(), seconds))
        self.pcm_out.append(np.asarray(pcm, dtype=np.int16))

    def flush(self) -> None:
        pass

    def clear_output(self) -> int:
        self.resume_output()
        now = self._now()
        dropped = 0.0
        for seg in self.segments:
            if seg[1] > now:
                dropped += seg[1] - max(seg[0], now)
                seg[0], seg[1] = min(seg[0], now), max(min(seg[1], now), min(seg[0], now))
        self.clears.append((self._virtual(), int(dropped / 0.02)))
        return int(dropped / 0.02)

    def pause_output(self) -> None:
        if not self.paused:
            self.pauses.append([self._virtual(), float("inf")])

    def resume_output(self) -> None:
        if self.paused:
            self.pauses[-1][1] = self._virtual()

    @property
    def sent_seconds(self) -> float:
        now = self._now()
        return sum(min(max(now - a, 0.0), b - a) for a, b in self.segments)

    @property
    def played_seconds(self) -> float:
        """All audio that went out over the whole call (after it ended)."""
        return sum(b - a for a, b in self.segments)

    @property
    def play_end(self) -> float:
        return self.segments[-1][1] if self.segments else 0.0

    async def wait_sent(self) -> None:
        """Polls at frame rate like a pacer would: the end moves whenever audio is queued or cleared,
        and stands still while paused."""
        while self.play_end > self._now() + 1e-9:  # noqa: ASYNC110
            await asyncio.sleep(0.02 if self.paused else min(0.02, self.play_end - self._now()))


@dataclass
class Recorder:
    """CallEvents and CallActions in one: every report is kept with its virtual time."""

    events: list[tuple[float, str, Any]] = field(default_factory=list)

    def _add(self, kind: str, value: Any) -> None:
        self.events.append((round(asyncio.get_running_loop().time(), 3), kind, value))

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

    def of(self, kind: str) -> list[Any]:
        return [v for _, k, v in self.events if k == kind]

    def messages(self, role: str | None = None) -> list[str]:
        return [m["content"] for m in self.of("message") if role is None or m["role"] == role]


async def _watch(recorder: Recorder, stop_when: Callable[[Recorder], bool] | None) -> None:
    if stop_when is None:
        await asyncio.Event().wait()
    while not stop_when(recorder):  # noqa: ASYNC110
        await asyncio.sleep(0.1)


@dataclass
class CallResult:
    reason: str | None
    recorder: Recorder
    audio: FakeAudioPort
    session: VoiceSession
    command_replies: list[tuple[float, str]]
    ended_at: float
    timed_out: bool

    @property
    def states(self) -> list[str]:
        return [s for _, s in self.session.trace]


def run_call(
    script: Sequence[Step],
    *,
    assistant: Mapping[str, Any] | None = None,
    engines: Engines | None = None,
    commands: Sequence[tuple[float, Mapping[str, Any]]] = (),
    tool_runner: Any = None,
    max_seconds: float = 120.0,
    report_dtmf: bool = False,
    virtual: bool = True,
    stop_when: Callable[[Recorder], bool] | None = None,
    agent_phone: str | None = None,
) -> CallResult:
    """Run one whole call in virtual time (real time for real engines, whose threads take real
    seconds) and return what happened. `agent_phone`: the number the caller dialled."""
    engines = engines or fake_engines()
    config = CallAssistant.parse({"system_prompt": "You book appointments.", "first_message": "Hello!",
                                  **(assistant or {})})
    info = CallInfo(call_id="call_test", direction="inbound", assistant=config, customer_phone="+31600000001",
                    agent_phone=agent_phone)
    audio = FakeAudioPort(script)
    recorder = Recorder()
    factory = voice_session_factory(engines, tool_runner=tool_runner, now=lambda: FIXED_NOW, report_dtmf=report_dtmf)
    session = factory(info, audio, recorder, recorder)
    assert isinstance(session, VoiceSession)
    replies: list[tuple[float, str]] = []

    async def send(at: float, command: Mapping[str, Any]) -> None:
        await asyncio.sleep(at)
        replies.append((at, await session.command(parse_command(command))))

    async def main() -> tuple[str | None, bool]:
        senders = [asyncio.create_task(send(at, c)) for at, c in commands]
        runner = asyncio.create_task(session.run())
        watcher = asyncio.create_task(_watch(recorder, stop_when))
        done, _ = await asyncio.wait({runner, watcher}, timeout=max_seconds, return_when=asyncio.FIRST_COMPLETED)
        watcher.cancel()
        timed_out = not done
        if not runner.done():
            runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        return (None if runner.cancelled() else runner.result()), timed_out

    loop = VirtualLoop() if virtual else asyncio.new_event_loop()
    try:
        reason, timed_out = loop.run_until_complete(main())
        ended = loop.time()
    finally:
        loop.close()
    return CallResult(reason, recorder, audio, session, replies, ended, timed_out)
