"""A phone line in real time without SIP: caller frames every 20 ms, assistant audio played at 8 kHz.

The engine-level session benchmark runs the product's voice session on this line instead of an
RTP endpoint, so it needs neither Asterisk nor a network (a GPU test machine may have neither).
It keeps when the caller's speech ended and when the first assistant audio after it was queued:
the turn latency a caller would notice, less the network and Asterisk.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import numpy as np

from voicedock.audio import Pcm, ulaw_decode, ulaw_encode

RATE = 8000
FRAME = 160  # 20 ms
LOUD = 300.0  # rms of assistant audio that counts as speech


class RealtimeLine:
    """An `AudioPort`; `say()` queues a caller utterance, `reply_after()` waits for the answer to it."""

    def __init__(self) -> None:
        self._frames: deque[tuple[np.ndarray, bool]] = deque()
        self._started = time.perf_counter()
        self._count = 0
        self._closed = False
        self._play_until = 0.0
        self._paused_at: float | None = None
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._queued = 0
        self.speech_end: float | None = None  # when the last frame of the latest utterance was read
        self.first_audio: float | None = None  # first loud audio queued after that
        self.last_audio = 0.0
        self._replied = asyncio.Event()

    def say(self, pcm: Pcm) -> None:
        """Queue an utterance, through the telephone's µ-law, as 20 ms frames."""
        phone = ulaw_decode(ulaw_encode(np.asarray(pcm, np.int16)))
        frames = [phone[i:i + FRAME] for i in range(0, len(phone) - FRAME + 1, FRAME)]
        for i, frame in enumerate(frames):
            self._frames.append((frame, i == len(frames) - 1))
        self.speech_end = self.first_audio = None
        self._replied.clear()

    def close(self) -> None:
        self._closed = True

    async def read(self) -> Pcm | None:
        self._count += 1
        due = self._started + self._count * FRAME / RATE
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if self._closed:
            return None
        if not self._frames:
            return np.zeros(FRAME, np.int16)
        frame, last = self._frames.popleft()
        if last:
            self.speech_end = time.perf_counter()
        return frame

    def send_pcm(self, pcm: Pcm) -> None:
        now = time.perf_counter()
        samples = np.asarray(pcm, np.float64)
        loud = samples.size > 0 and float(np.sqrt(np.mean(samples**2))) > LOUD
        if loud:
            self.last_audio = now
            if self.speech_end is not None and self.first_audio is None:
                self.first_audio = now
                self._replied.set()
        self._play_until = max(self._playing_at(), self._play_until) + len(pcm) / RATE
        self._queued += len(pcm)

    def _playing_at(self) -> float:
        """The playout clock: it stands still while the output is paused."""
        return self._paused_at if self._paused_at is not None else time.perf_counter()

    def flush(self) -> None:
        return None

    def clear_output(self) -> int:
        now = self._playing_at()
        left = max(0.0, self._play_until - now)
        self._paused_at = None
        self._unpaused.set()
        self._play_until = time.perf_counter()
        self._queued -= int(left * RATE)
        return int(left * RATE) // FRAME

    def pause_output(self) -> None:
        if self._paused_at is None:
            self._paused_at = time.perf_counter()
            self._unpaused.clear()

    def resume_output(self) -> None:
        if self._paused_at is not None:
            if self._play_until > self._paused_at:
                self._play_until += time.perf_counter() - self._paused_at
            self._paused_at = None
            self._unpaused.set()

    @property
    def sent_seconds(self) -> float:
        return (self._queued - max(0.0, self._play_until - self._playing_at()) * RATE) / RATE

    async def wait_sent(self) -> None:
        """Until everything queued has played; a pause holds it back."""
        while True:
            await self._unpaused.wait()
            left = self._play_until - time.perf_counter()
            if left <= 0:
                return
            await asyncio.sleep(left)

    async def reply_after(self, seconds: float) -> float | None:
        """Seconds from the end of the caller's speech to the first assistant audio; None if none came."""
        try:
            await asyncio.wait_for(self._replied.wait(), seconds)
        except TimeoutError:
            return None
        assert self.speech_end is not None and self.first_audio is not None
        return self.first_audio - self.speech_end

    async def quiet(self, seconds: float, limit: float) -> None:
        """Until the assistant has played everything and sent nothing new for `seconds` (at most `limit`)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            now = time.perf_counter()
            if now >= self._play_until and now - self.last_audio >= seconds:
                return
            await asyncio.sleep(0.05)
