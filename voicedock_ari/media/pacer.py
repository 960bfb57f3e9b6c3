"""Outbound RTP scheduling: turns queued audio into 20 ms packets at the right moments.

Pure logic driven by the times passed in, so tests run on a virtual clock. The queue can be
paused (kept, nothing sent) and resumed, or cleared at once, for barge-in; `sent_bytes` tells the
caller how much audio really went out, which is what the caller heard.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from voicedock.audio import FRAME_SAMPLES, ULAW_SILENCE

from .rtp import RtpPacket, pack

FRAME_SECONDS = 0.020
MAX_CATCH_UP_FRAMES = 3


@dataclass(frozen=True, slots=True)
class PayloadFormat:
    """How one 20 ms frame looks on the wire for a static RTP payload type."""

    name: str
    payload_type: int
    frame_bytes: int
    samples_per_frame: int
    silence_byte: int


ULAW = PayloadFormat("ulaw", 0, FRAME_SAMPLES, FRAME_SAMPLES, ULAW_SILENCE)
SLIN8 = PayloadFormat("slin", 10, 2 * FRAME_SAMPLES, FRAME_SAMPLES, 0x00)
FORMATS = {fmt.name: fmt for fmt in (ULAW, SLIN8)}


class RtpPacer:
    """Queue of outbound frames plus the sequence/timestamp/marker state of one RTP stream."""

    def __init__(
        self,
        fmt: PayloadFormat = ULAW,
        *,
        ssrc: int | None = None,
        sequence: int | None = None,
        timestamp: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        rand = rng or random.SystemRandom()
        self.fmt = fmt
        self.ssrc = rand.getrandbits(32) if ssrc is None else ssrc
        self.sequence = rand.getrandbits(16) if sequence is None else sequence
        self.timestamp = rand.getrandbits(32) if timestamp is None else timestamp
        self.sent_frames = 0
        self.sent_bytes = 0
        self._queue: deque[bytes] = deque()
        self._partial = b""
        self._spurt_start: float | None = None
        self._spurt_frames = 0
        self._last_sent_at: float | None = None
        self._drained = False
        self.paused = False

    @property
    def queued_frames(self) -> int:
        return len(self._queue)

    @property
    def idle(self) -> bool:
        """True when nothing is waiting to be sent (a partial frame counts as waiting)."""
        return not self._queue and not self._partial

    def enqueue(self, payload: bytes) -> None:
        """Append encoded audio; whole frames are queued, a remainder waits for more or `flush()`."""
        data = self._partial + payload
        size = self.fmt.frame_bytes
        whole = len(data) - len(data) % size
        self._queue.extend(data[i : i + size] for i in range(0, whole, size))
        self._partial = data[whole:]

    def flush(self) -> None:
        """Pad the pending remainder with silence so the end of an utterance is not held back."""
        if self._partial:
            pad = bytes([self.fmt.silence_byte]) * (self.fmt.frame_bytes - len(self._partial))
            self._queue.append(self._partial + pad)
            self._partial = b""

    def clear(self) -> int:
        """Drop all queued audio now (barge-in), ending any pause; returns the number of frames dropped."""
        dropped = len(self._queue) + (1 if self._partial else 0)
        self._queue.clear()
        self._partial = b""
        self._spurt_start = None
        self.paused = False
        return dropped

    def pause(self) -> None:
        """Send nothing from now on, keeping the queue: the caller may only be saying "uh-huh"."""
        self.paused = True

    def resume(self) -> None:
        """Go on with the kept queue as a new talkspurt: marker set, RTP time advanced over the pause."""
        if self.paused:
            self.paused = False
            self._spurt_start = None

    def next_deadline(self) -> float | None:
        """Time the next frame is due, or None when the queue is empty or paused."""
        if not self._queue or self.paused:
            return None
        if self._spurt_start is None:
            return float("-inf")
        return self._deadline()

    def due(self, now: float) -> list[bytes]:
        """Packets to send at `now`; a late caller gets at most a short burst, not a flood."""
        out: list[bytes] = []
        if not self._queue or self.paused:
            return out
        if self._drained and self._spurt_start is not None and now - self._deadline() >= FRAME_SECONDS:
            # Only audio that resumes within a frame of schedule continues the talkspurt unmarked.
            self._spurt_start = None
        self._drained = False
        while self._queue:
            if self._spurt_start is None:
                self._start_talkspurt(now)
            deadline = self._deadline()
            if deadline > now:
                break
            if now - deadline >= MAX_CATCH_UP_FRAMES * FRAME_SECONDS:
                # Rebase the schedule instead of bursting a backlog at the far end.
                self._spurt_start = now - self._spurt_frames * FRAME_SECONDS
            out.append(self._next_packet(self._queue.popleft(), now))
        if out and not self._queue:
            self._drained = True
        return out

    def _deadline(self) -> float:
        assert self._spurt_start is not None
        return self._spurt_start + self._spurt_frames * FRAME_SECONDS

    def _start_talkspurt(self, now: float) -> None:
        if self._last_sent_at is not None:
            # RTP time keeps running through silence (RFC 3550 5.1); advance by whole frames.
            silent_frames = max(0, round((now - self._last_sent_at) / FRAME_SECONDS) - 1)
            self.timestamp = (self.timestamp + silent_frames * self.fmt.samples_per_frame) & 0xFFFFFFFF
        self._spurt_start = now
        self._spurt_frames = 0

    def _next_packet(self, payload: bytes, now: float) -> bytes:
        packet = RtpPacket(
            payload_type=self.fmt.payload_type,
            sequence=self.sequence,
            timestamp=self.timestamp,
            ssrc=self.ssrc,
            payload=payload,
            marker=self._spurt_frames == 0,
        )
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.timestamp = (self.timestamp + self.fmt.samples_per_frame) & 0xFFFFFFFF
        self._spurt_frames += 1
        self.sent_frames += 1
        self.sent_bytes += len(payload)
        self._last_sent_at = now
        return pack(packet)
