"""A measuring SIP phone: dials over UDP, streams audio as RTP every 20 ms and timestamps what it hears.

It speaks just enough SIP for a call to a local Asterisk without authentication (INVITE, ACK,
BYE, and answering the far end's BYE), and sends PCMU continuously like a real phone, silence
included, so the far side's timers see the same stream a handset would send. Every frame sent
and received is kept with its time on the event loop's clock, which is what the turn benchmark
measures with.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from voicedock.audio import ulaw_decode, ulaw_encode
from voicedock_ari.media.rtp import RtpError, RtpPacket, pack, parse

FRAME_SAMPLES = 160
FRAME_SECONDS = 0.020
SILENT_FRAME = ulaw_encode(np.zeros(FRAME_SAMPLES, np.int16))


class CallFailed(RuntimeError):
    """The call was not answered: a final SIP status other than 2xx, or no answer in time."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"call failed: {status} {reason}")
        self.status = status
        self.reason = reason


@dataclass
class SipMessage:
    first_line: str
    headers: list[tuple[str, str]]
    body: str = ""

    @property
    def is_response(self) -> bool:
        return self.first_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.first_line.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        return self.first_line.split()[0] if not self.is_response else self.header("CSeq").split()[-1]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == _full_name(name).lower()), "")

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == _full_name(name).lower()]


_COMPACT = {"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length",
            "c": "Content-Type"}


def _full_name(name: str) -> str:
    return _COMPACT.get(name.lower(), name) if len(name) == 1 else name


def parse_sip(data: bytes) -> SipMessage:
    """One SIP message from a datagram; raises ValueError on anything that is not one."""
    text = data.decode("utf-8", errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or not (lines[0].startswith("SIP/2.0 ") or lines[0].endswith(" SIP/2.0")):
        raise ValueError("not a SIP message")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        headers.append((_full_name(name.strip()), value.strip()))
    return SipMessage(lines[0], headers, body)


def sdp_audio_address(sdp: str) -> tuple[str, int]:
    """The (address, port) of the first audio stream in an SDP body."""
    host, port = "", 0
    for line in sdp.splitlines():
        if line.startswith("c=IN IP4 ") and not host:
            host = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
    if not host or not port:
        raise ValueError("no audio address in the SDP answer")
    return host, port


def tag_of(header: str) -> str:
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key == "tag":
            return value
    return ""


def uri_of(header: str) -> str:
    start, end = header.find("<"), header.find(">")
    return header[start + 1:end] if 0 <= start < end else header.split(";")[0].strip()


@dataclass
class Played:
    """When an utterance went out: its first and last frame, and its first and last voiced frame."""

    started: float
    ended: float
    voice_started: float | None
    voice_ended: float | None


@dataclass
class _Batch:
    frames: deque[bytes]
    voiced: list[bool]
    done: asyncio.Future[Played]
    index: int = 0
    times: list[float] = field(default_factory=list)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, handler: object) -> None:
        self.handler = handler

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.handler(data, addr)  # type: ignore[operator]


class SipCall:
    """One outgoing call from `local_ip` (use `dial`, then `play`, then `hangup`)."""

    def __init__(self, local_ip: str = "127.0.0.1", user: str = "bench", voice_rms: float = 300.0) -> None:
        self.local_ip = local_ip
        self.user = user
        self.voice_rms = voice_rms
        self.call_id = f"{secrets.token_hex(12)}@{local_ip}"
        self.tag = secrets.token_hex(6)
        self.heard: list[tuple[float, float]] = []  # (arrival time, rms) per received frame
        self.sent: list[tuple[float, float]] = []  # (send time, rms) per sent frame
        self.malformed = 0
        self.far_end_hung_up = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._responses: asyncio.Queue[SipMessage] = asyncio.Queue()
        self._sip: asyncio.DatagramTransport | None = None
        self._rtp: asyncio.DatagramTransport | None = None
        self._server: tuple[str, int] = ("", 0)
        self._remote_rtp: tuple[str, int] | None = None
        self._remote_target = ""
        self._to = ""
        self._cseq = 1
        self._batches: deque[_Batch] = deque()
        self._sender: asyncio.Task[None] | None = None
        self._seq = secrets.randbelow(1 << 16)
        self._ts = secrets.randbelow(1 << 32)
        self._ssrc = secrets.randbelow(1 << 32)

    # -- signalling -------------------------------------------------------------------------------

    async def dial(self, uri: str, answer_within: float = 15.0) -> None:
        """INVITE `uri` (sip:user@host:port); returns once answered and the audio stream runs."""
        host_port = uri.split("@", 1)[1].split(";")[0]
        host, _, port = host_port.partition(":")
        self._server = (host, int(port or 5060))
        self._sip, _ = await self._loop.create_datagram_endpoint(
            lambda: _Datagrams(self._on_sip), local_addr=(self.local_ip, 0))
        self._rtp, _ = await self._loop.create_datagram_endpoint(
            lambda: _Datagrams(self._on_rtp), local_addr=(self.local_ip, 0))
        sip_port = self._sip.get_extra_info("sockname")[1]
        rtp_port = self._rtp.get_extra_info("sockname")[1]
        self._contact = f"<sip:{self.user}@{self.local_ip}:{sip_port}>"
        self._from = f"<sip:{self.user}@{self.local_ip}>;tag={self.tag}"
        self._to = f"<{uri}>"
        self._remote_target = uri
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {self.local_ip}\r\ns=voicedock-bench\r\nc=IN IP4 {self.local_ip}\r\n"
               f"t=0 0\r\nm=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n")
        branch = self._branch()
        invite = self._request("INVITE", uri, branch, 1, body=sdp, content_type="application/sdp")
        answer = await self._transaction(invite, "INVITE", answer_within, provisional_stops_retransmit=True)
        self._to = answer.header("To")
        if answer.status >= 300:
            self._send(self._request("ACK", uri, branch, 1))
            raise CallFailed(answer.status, answer.first_line.split(" ", 2)[-1])
        self._remote_target = uri_of(answer.header("Contact")) or uri
        self._remote_rtp = sdp_audio_address(answer.body)
        self._send(self._request("ACK", self._remote_target, self._branch(), 1))
        self._sender = asyncio.create_task(self._send_audio(), name="bench-caller-rtp")

    async def hangup(self) -> None:
        """BYE unless the far end already hung up; stops the audio either way."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        try:
            if self._remote_rtp is not None and not self.far_end_hung_up.is_set():
                self._cseq += 1
                bye = self._request("BYE", self._remote_target, self._branch(), self._cseq)
                with contextlib.suppress(TimeoutError, CallFailed):
                    await self._transaction(bye, "BYE", 4.0)
        finally:
            for transport in (self._sip, self._rtp):
                if transport is not None:
                    transport.close()
            for batch in self._batches:
                if not batch.done.done():
                    batch.done.cancel()

    async def _transaction(self, message: bytes, method: str, within: float,
                           provisional_stops_retransmit: bool = False) -> SipMessage:
        deadline = self._loop.time() + within
        interval, retransmit = 0.5, True
        self._send(message)
        while True:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                raise CallFailed(408, f"no final answer to {method} in {within:.0f} s")
            try:
                reply = await asyncio.wait_for(self._responses.get(), min(interval, remaining))
            except TimeoutError:
                if retransmit:
                    self._send(message)
                    interval = min(interval * 2, 4.0)
                continue
            if reply.method != method:
                continue
            if reply.status < 200:
                retransmit = retransmit and not provisional_stops_retransmit
                interval = min(remaining, 1.0)
                continue
            return reply

    def _on_sip(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = parse_sip(data)
        except ValueError:
            self.malformed += 1
            return
        if message.is_response:
            if message.method == "INVITE" and message.status >= 200 and self._remote_rtp is not None:
                self._send(self._request("ACK", self._remote_target, self._branch(), 1))  # a repeated 200
                return
            self._responses.put_nowait(message)
            return
        if message.method == "ACK":
            return
        self._sendto(self._response(message, 200, "OK"), addr)
        if message.method == "BYE":
            self.far_end_hung_up.set()
            if self._sender is not None:
                self._sender.cancel()
            while self._batches:  # audio that will never be sent: what was sent of it is what was played
                self._finish(self._batches.popleft())

    def _branch(self) -> str:
        return f"z9hG4bK{secrets.token_hex(8)}"

    def _request(self, method: str, target: str, branch: str, cseq: int, body: str = "",
                 content_type: str = "") -> bytes:
        assert self._sip is not None
        port = self._sip.get_extra_info("sockname")[1]
        lines = [f"{method} {target} SIP/2.0", f"Via: SIP/2.0/UDP {self.local_ip}:{port};branch={branch};rport",
                 "Max-Forwards: 70", f"From: {self._from}", f"To: {self._to}", f"Call-ID: {self.call_id}",
                 f"CSeq: {cseq} {method}", f"Contact: {self._contact}", "User-Agent: voicedock-bench"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def _response(self, request: SipMessage, status: int, reason: str) -> bytes:
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {v}" for v in request.all("Via")]
        to = request.header("To")
        if not tag_of(to):
            to = f"{to};tag={self.tag}"
        lines += [f"From: {request.header('From')}", f"To: {to}", f"Call-ID: {request.header('Call-ID')}",
                  f"CSeq: {request.header('CSeq')}", "Content-Length: 0"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _send(self, data: bytes) -> None:
        self._sendto(data, self._server)

    def _sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._sip is not None and not self._sip.is_closing():
            self._sip.sendto(data, addr)

    # -- media ------------------------------------------------------------------------------------

    def play(self, pcm: np.ndarray) -> asyncio.Future[Played]:
        """Queue 8 kHz 16-bit audio after whatever is queued; the future resolves once it is all sent."""
        samples = np.asarray(pcm, dtype=np.int16)
        pad = (-len(samples)) % FRAME_SAMPLES
        samples = np.concatenate([samples, np.zeros(pad, np.int16)]).reshape(-1, FRAME_SAMPLES)
        rms = np.sqrt((samples.astype(np.float64) ** 2).mean(axis=1))
        batch = _Batch(deque(ulaw_encode(frame) for frame in samples), [bool(r >= self.voice_rms) for r in rms],
                       self._loop.create_future())
        if not batch.frames or self.far_end_hung_up.is_set():  # nothing to send, or no one to send it to
            batch.done.set_result(Played(self._loop.time(), self._loop.time(), None, None))
        else:
            self._batches.append(batch)
        return batch.done

    def _finish(self, batch: _Batch) -> None:
        if batch.done.done():
            return
        times = batch.times or [self._loop.time()]
        voiced = [t for t, v in zip(batch.times, batch.voiced, strict=False) if v]
        batch.done.set_result(Played(times[0], times[-1], voiced[0] if voiced else None,
                                     voiced[-1] if voiced else None))

    async def _send_audio(self) -> None:
        start = self._loop.time()
        n = 0
        while True:
            now = self._loop.time()
            if self._batches:
                batch = self._batches[0]
                payload = batch.frames.popleft()
                batch.times.append(now)
                level = self.voice_rms if batch.voiced[batch.index] else 0.0
                batch.index += 1
                if not batch.frames:
                    self._batches.popleft()
                    self._finish(batch)
            else:
                payload, level = SILENT_FRAME, 0.0
            self._send_rtp(payload, marker=n == 0)
            self.sent.append((now, level))
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_SECONDS - self._loop.time()))

    def _send_rtp(self, payload: bytes, marker: bool) -> None:
        if self._rtp is None or self._remote_rtp is None or self._rtp.is_closing():
            return
        packet = RtpPacket(payload_type=0, sequence=self._seq, timestamp=self._ts, ssrc=self._ssrc,
                           payload=payload, marker=marker)
        self._rtp.sendto(pack(packet), self._remote_rtp)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + FRAME_SAMPLES) & 0xFFFFFFFF

    def _on_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        now = self._loop.time()
        try:
            packet = parse(data)
        except RtpError:
            self.malformed += 1
            return
        if packet.payload_type != 0 or not packet.payload:
            return
        pcm = ulaw_decode(packet.payload)
        self.heard.append((now, float(np.sqrt((pcm.astype(np.float64) ** 2).mean()))))
