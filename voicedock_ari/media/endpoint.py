"""UDP endpoint for one ARI externalMedia channel: RTP in -> PCM frames out, PCM in -> paced RTP out.

Receives on 127.0.0.1 and sends back from the same socket to the address Asterisk names in
`UNICASTRTP_LOCAL_ADDRESS`/`UNICASTRTP_LOCAL_PORT`. Bad datagrams are counted and dropped; no
input from the network can raise out of the protocol callbacks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import TracebackType

import numpy as np

from voicedock.audio import SAMPLE_RATE, Pcm, slin_decode, slin_encode, ulaw_decode, ulaw_encode

from .jitter import JitterBuffer, JitterStats
from .pacer import FORMATS, ULAW, PayloadFormat, RtpPacer
from .rtp import RtpError, RtpPacket, parse

log = logging.getLogger(__name__)

MAX_DATAGRAM = 1500
_CLOSED = None


@dataclass(slots=True)
class EndpointStats:
    """Everything dropped or sent, for call metrics; jitter counters live in `jitter`."""

    jitter: JitterStats = field(default_factory=JitterStats)
    oversized: int = 0
    wrong_payload_type: int = 0
    queue_overflow: int = 0
    sent_packets: int = 0
    send_errors: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, endpoint: RtpEndpoint) -> None:
        self._endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self._endpoint._on_datagram(data, addr)
        except Exception:  # a packet must never take the endpoint down
            log.exception("unexpected error handling an RTP datagram; dropped")
            self._endpoint.stats.jitter.malformed += 1

    def error_received(self, exc: Exception) -> None:
        self._endpoint.stats.send_errors += 1


class RtpEndpoint:
    """Open with `await RtpEndpoint.open()`; read PCM with `async for frame in endpoint`."""

    def __init__(
        self,
        fmt: PayloadFormat | str = ULAW,
        *,
        jitter_depth: int = 3,
        jitter_max_wait: float = 0.06,
        max_queued_frames: int = 500,
    ) -> None:
        self.fmt = FORMATS[fmt] if isinstance(fmt, str) else fmt
        self.stats = EndpointStats()
        self.jitter = JitterBuffer(depth=jitter_depth, max_wait=jitter_max_wait)
        self.jitter.stats = self.stats.jitter
        self.pacer = RtpPacer(self.fmt)
        self.remote: tuple[str, int] | None = None
        self._frames: asyncio.Queue[Pcm | None] = asyncio.Queue(max_queued_frames)
        self._transport: asyncio.DatagramTransport | None = None
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Event()
        self._idle.set()
        self._drain_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._send_at = 0.0
        self._closed = False

    @classmethod
    async def open(cls, host: str = "127.0.0.1", port: int = 0, **kwargs: object) -> RtpEndpoint:
        """Bind a UDP socket (port 0 = any free port); sending is paced by one loop timer."""
        endpoint = cls(**kwargs)  # type: ignore[arg-type]
        transport, _ = await endpoint._loop.create_datagram_endpoint(
            lambda: _Protocol(endpoint), local_addr=(host, port)
        )
        endpoint._transport = transport
        return endpoint

    @property
    def local_address(self) -> tuple[str, int]:
        assert self._transport is not None, "endpoint not open"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return host, port

    @property
    def external_host(self) -> str:
        """The `external_host` value for ARI externalMedia."""
        host, port = self.local_address
        return f"{host}:{port}"

    @property
    def sent_seconds(self) -> float:
        """Audio actually sent so far: what the caller heard, for barge-in history."""
        return self.pacer.sent_frames * self.fmt.samples_per_frame / SAMPLE_RATE

    def set_remote(self, host: str, port: int) -> None:
        """Where to send RTP (the externalMedia channel's UNICASTRTP_LOCAL_ADDRESS/PORT)."""
        self.remote = (host, int(port))
        self._schedule_send()

    # inbound

    async def read(self) -> Pcm | None:
        """Next 20 ms int16 frame at 8 kHz, or None once closed."""
        if self._closed and self._frames.empty():
            return None
        frame = await self._frames.get()
        if frame is None:
            self._frames.put_nowait(None)  # keep other readers from blocking forever
        return frame

    def __aiter__(self) -> RtpEndpoint:
        return self

    async def __anext__(self) -> Pcm:
        frame = await self.read()
        if frame is None:
            raise StopAsyncIteration
        return frame

    def _on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._closed:
            return
        if len(data) > MAX_DATAGRAM:
            self.stats.oversized += 1
            return
        try:
            packet = parse(data)
        except RtpError:
            self.jitter.note_malformed()
            return
        if packet.payload_type != self.fmt.payload_type:
            self.stats.wrong_payload_type += 1
            return
        if self.fmt is not ULAW and len(packet.payload) % 2:
            self.jitter.note_malformed()
            return
        self.jitter.push(packet, self._loop.time())
        if self.remote is None and packet.ssrc == self.jitter.ssrc:
            self.remote = (addr[0], addr[1])  # symmetric RTP until told otherwise
            self._schedule_send()
        self._release_ready()

    def _release_ready(self) -> None:
        for packet in self.jitter.pop_ready(self._loop.time()):
            self._deliver(packet)
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None
        deadline = self.jitter.next_deadline()
        if deadline is not None:
            self._drain_timer = self._loop.call_at(deadline, self._release_ready)

    def _deliver(self, packet: RtpPacket) -> None:
        pcm = ulaw_decode(packet.payload) if self.fmt is ULAW else slin_decode(packet.payload)
        if self._frames.full():
            self._frames.get_nowait()
            self.stats.queue_overflow += 1
        self._frames.put_nowait(pcm)

    # outbound

    def send_pcm(self, pcm: Pcm) -> None:
        """Queue 8 kHz int16 audio for paced sending; call `flush()` at the end of an utterance."""
        samples = np.asarray(pcm, dtype=np.int16)
        self.send_payload(ulaw_encode(samples) if self.fmt is ULAW else slin_encode(samples))

    def send_payload(self, payload: bytes) -> None:
        """Queue audio already encoded in this endpoint's format."""
        if self._closed:
            return
        self.pacer.enqueue(payload)
        self._idle.clear()
        self._schedule_send()

    def flush(self) -> None:
        """Send a trailing partial frame (padded with silence)."""
        self.pacer.flush()
        self._schedule_send()

    def clear_output(self) -> int:
        """Barge-in: drop everything not yet sent; returns frames dropped."""
        dropped = self.pacer.clear()
        self._idle.set()
        self._schedule_send()
        return dropped

    def pause_output(self) -> None:
        """Barge-in: stop sending before the next frame, keeping the queued audio and `sent_seconds`.

        Nothing is sent while paused (as between utterances); the resumed audio starts a new
        talkspurt whose RTP timestamp has advanced by the pause.
        """
        self.pacer.pause()
        self._schedule_send()

    def resume_output(self) -> None:
        """Go on sending the kept audio from the frame where it paused."""
        self.pacer.resume()
        self._schedule_send()

    async def wait_sent(self) -> None:
        """Wait until all queued audio has gone out (or was cleared); a pause holds it back."""
        await self._idle.wait()

    def _schedule_send(self) -> None:
        """Arm this endpoint's one timer for the pacer's next frame, or disarm it when nothing is due.

        A timer callback per frame, not a task waiting on an event: at hundreds of calls, each
        sending 50 frames a second, the event loop's per-wakeup cost is most of the sender's CPU.
        """
        deadline = self.pacer.next_deadline()
        if self._closed or deadline is None or self.remote is None:
            if self._send_timer is not None:
                self._send_timer.cancel()
                self._send_timer = None
            if self.pacer.idle:
                self._idle.set()
            return
        when = max(deadline, 0.0)  # -inf: a new talkspurt, due now
        if self._send_timer is not None:
            if self._send_at <= when:
                return  # armed for this frame or an earlier one; it re-arms itself after sending
            self._send_timer.cancel()
        self._send_at = when
        self._send_timer = self._loop.call_at(when, self._on_send_timer)

    def _on_send_timer(self) -> None:
        self._send_timer = None
        # A loop with millisecond timers (uvloop) may fire a little early: that frame is due.
        self._send(self.pacer.due(max(self._loop.time(), self._send_at)))
        self._schedule_send()

    def _send(self, packets: list[bytes]) -> None:
        if self._transport is None or self.remote is None:
            return
        for packet in packets:
            try:
                self._transport.sendto(packet, self.remote)
                self.stats.sent_packets += 1
            except OSError:
                self.stats.send_errors += 1

    # lifecycle

    async def __aenter__(self) -> RtpEndpoint:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop sending, close the socket and end readers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._drain_timer is not None:
            self._drain_timer.cancel()
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        if self._transport is not None:
            self._transport.close()
        self._idle.set()
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(_CLOSED)
