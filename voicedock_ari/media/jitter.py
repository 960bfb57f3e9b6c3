"""Reorder/jitter buffer for inbound RTP, keyed on the 16-bit sequence number.

Loopback jitter is tiny, so the buffer is shallow: it waits for a missing packet only until
`depth` later packets are queued or the oldest queued one has waited `max_wait` seconds, then
declares the gap lost. The first SSRC seen is locked in; other sources are dropped and counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .rtp import RtpPacket

SEQ_MOD = 1 << 16
RESYNC_GAP = 1000


def seq_delta(seq: int, reference: int) -> int:
    """Signed distance from `reference` to `seq` on the 16-bit circle, in [-32768, 32767]."""
    return ((seq - reference + SEQ_MOD // 2) % SEQ_MOD) - SEQ_MOD // 2


@dataclass(slots=True)
class JitterStats:
    """Counters a call's metrics and logs report; they never reset while the call lives."""

    received: int = 0
    delivered: int = 0
    late: int = 0
    lost: int = 0
    duplicate: int = 0
    malformed: int = 0
    wrong_ssrc: int = 0
    resyncs: int = 0


class JitterBuffer:
    """Accepts packets in arrival order and releases them in sequence order."""

    def __init__(self, depth: int = 3, max_wait: float = 0.06, history: int = 128) -> None:
        self.depth = depth
        self.max_wait = max_wait
        self.stats = JitterStats()
        self.ssrc: int | None = None
        self._next: int | None = None
        self._pending: dict[int, tuple[RtpPacket, float]] = {}
        self._released: deque[int] = deque(maxlen=history)

    def __len__(self) -> int:
        return len(self._pending)

    def note_malformed(self) -> None:
        """Count a datagram that failed to parse, so every drop shows up in one place."""
        self.stats.malformed += 1

    def push(self, packet: RtpPacket, now: float) -> None:
        """Accept one packet; drops (with a counter) what can never be played."""
        if self.ssrc is None:
            self.ssrc = packet.ssrc
        elif packet.ssrc != self.ssrc:
            self.stats.wrong_ssrc += 1
            return
        self.stats.received += 1
        if self._next is None:
            self._next = packet.sequence
        delta = seq_delta(packet.sequence, self._next)
        if abs(delta) > RESYNC_GAP:
            # The sender restarted its sequence: start over rather than wait for ~65k packets.
            self.stats.resyncs += 1
            self.stats.lost += len(self._pending)
            self._pending.clear()
            self._next = packet.sequence
            delta = 0
        if delta < 0:
            if packet.sequence in self._released:
                self.stats.duplicate += 1
            else:
                self.stats.late += 1
            return
        if packet.sequence in self._pending:
            self.stats.duplicate += 1
            return
        self._pending[packet.sequence] = (packet, now)

    def pop_ready(self, now: float) -> list[RtpPacket]:
        """Packets that can be played now, in order, skipping gaps that waited long enough."""
        out: list[RtpPacket] = []
        while self._pending and self._next is not None:
            entry = self._pending.pop(self._next, None)
            if entry is None:
                if not self._gap_expired(now):
                    break
                self._skip_gap()
                continue
            out.append(entry[0])
            self._released.append(self._next)
            self._next = (self._next + 1) % SEQ_MOD
        self.stats.delivered += len(out)
        return out

    def next_deadline(self) -> float | None:
        """When a waiting gap will be given up, so the caller can schedule `pop_ready` without polling."""
        if not self._pending:
            return None
        return min(arrived for _, arrived in self._pending.values()) + self.max_wait

    def drain(self) -> list[RtpPacket]:
        """Release everything still queued, in order (end of call)."""
        return self.pop_ready(float("inf"))

    def _gap_expired(self, now: float) -> bool:
        if len(self._pending) >= self.depth:
            return True
        oldest = min(arrived for _, arrived in self._pending.values())
        return now - oldest >= self.max_wait

    def _skip_gap(self) -> None:
        assert self._next is not None
        reference = self._next
        nearest = min(self._pending, key=lambda seq: seq_delta(seq, reference))
        self.stats.lost += seq_delta(nearest, reference)
        self._next = nearest
