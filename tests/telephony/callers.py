"""A real SIP caller for tests: baresip plays a WAV into the call and records what it hears."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from voicedock_bench.ports import free_port
from voicedock_bench.sip_caller import SipMessage, parse_sip

CONFIG = """\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:0
net_interface\t\t127.0.0.1
audio_source\t\taufile,{source}
audio_player\t\talsa,null
audio_alert\t\talsa,null
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\talsa.so
module\t\t\tsndfile.so
module\t\t\tmenu.so
module\t\t\taccount.so
snd_path\t\t{dump_dir}
"""


@dataclass
class BaresipCall:
    process: asyncio.subprocess.Process
    workdir: Path

    @property
    def heard_wav(self) -> Path | None:
        """What the caller received (sndfile's `-dec.wav`), once the call has ended."""
        return next(iter(sorted(self.workdir.glob("dump-*-dec.wav"))), None)

    @property
    def log(self) -> str:
        path = self.workdir / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def write_config(workdir: Path, source_wav: Path) -> BinaryIO:
    """Config, account and an open log file for one baresip run."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config").write_text(CONFIG.format(port=free_port("udp"), source=source_wav, dump_dir=workdir))
    (workdir / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU\n")
    return (workdir / "baresip.log").open("wb")


async def dial(workdir: Path, source_wav: Path, uri: str, seconds: int = 10) -> BaresipCall:
    """Start baresip dialing `uri` with `source_wav` (8 kHz mono 16-bit) as its microphone."""
    with write_config(workdir, source_wav) as log:
        process = await asyncio.create_subprocess_exec(
            "baresip",
            "-f",
            str(workdir),
            "-e",
            f"/dial {uri}",
            "-t",
            str(seconds),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    return BaresipCall(process=process, workdir=workdir)


async def listen(workdir: Path, source_wav: Path, port: int, seconds: int = 20, user: str = "callee") -> BaresipCall:
    """Start baresip answering every call on 127.0.0.1:`port` (a transfer or outbound target)."""
    with write_listener_config(workdir, source_wav, port, user) as log:
        process = await asyncio.create_subprocess_exec(
            "baresip", "-f", str(workdir), "-t", str(seconds),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
    await _udp_bound(port)
    return BaresipCall(process=process, workdir=workdir)


async def _udp_bound(port: int, seconds: float = 10.0) -> None:
    """Wait until something in this network namespace listens on UDP `port`: a call placed before
    baresip has bound its port fails at once (on a loaded machine it takes longer than half a second)."""
    wanted = f":{port:04X}"
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        table = Path("/proc/net/udp").read_text()  # noqa: ASYNC240 - a few hundred bytes of procfs
        if any(line.split()[1].endswith(wanted) for line in table.splitlines()[1:]):
            return
        await asyncio.sleep(0.05)


def write_listener_config(workdir: Path, source_wav: Path, port: int, user: str) -> BinaryIO:
    """Like `write_config`, but listening on a fixed port and answering by itself."""
    log = write_config(workdir, source_wav)
    config = (workdir / "config").read_text().replace("sip_listen\t\t127.0.0.1:0", f"sip_listen\t\t127.0.0.1:{port}")
    (workdir / "config").write_text(config)
    (workdir / "accounts").write_text(f"<sip:{user}@127.0.0.1:{port}>;regint=0;answermode=auto;audio_codecs=PCMU\n")
    return log



class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, handle: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.handle = handle

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.handle(data, addr)


class ScriptedPhone:
    """A SIP phone on 127.0.0.1 that answers every INVITE with 100, then after `ring_seconds`
    (with a 180 first when it rings) with `status`: 200 with an SDP whose RTP it echoes back, or a
    refusal (486 busy, 603 decline, ...). Keeps every request and response it received."""

    def __init__(self, status: int = 200, reason: str = "OK", ring_seconds: float = 0.0) -> None:
        self.status, self.reason, self.ring_seconds = status, reason, ring_seconds
        self.requests: list[SipMessage] = []
        self.replies: list[SipMessage] = []
        self.caller_sip: tuple[str, int] | None = None

    async def start(self, port: int = 0) -> ScriptedPhone:
        loop = asyncio.get_running_loop()
        self.sip, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self._on_sip),
                                                          local_addr=("127.0.0.1", port))
        self.rtp, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self._on_rtp),
                                                          local_addr=("127.0.0.1", 0))
        self.port = self.sip.get_extra_info("sockname")[1]
        return self

    def close(self) -> None:
        self.sip.close()
        self.rtp.close()

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    def _on_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        self.rtp.sendto(data, addr)

    def _on_sip(self, data: bytes, addr: tuple[str, int]) -> None:
        message = parse_sip(data)
        if message.is_response:
            self.replies.append(message)
            return
        self.requests.append(message)
        self.caller_sip = addr
        if message.method == "INVITE":
            self._send(self._response(message, 100, "Trying"), addr)
            if self.ring_seconds:
                self._send(self._response(message, 180, "Ringing"), addr)
            sdp = ""
            if self.status == 200:
                rtp_port = self.rtp.get_extra_info("sockname")[1]
                sdp = f"v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 0\r\n"
            final = self._response(message, self.status, self.reason, sdp)
            asyncio.get_running_loop().call_later(self.ring_seconds, self._send, final, addr)
        elif message.method in ("BYE", "CANCEL", "OPTIONS"):
            self._send(self._response(message, 200, "OK"), addr)

    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.sip.is_closing():
            self.sip.sendto(data, addr)

    def _response(self, request: SipMessage, status: int, reason: str, body: str = "") -> bytes:
        to = request.header("To")
        lines = [f"SIP/2.0 {status} {reason}", *[f"Via: {v}" for v in request.all("Via")],
                 f"From: {request.header('From')}", f"To: {to}" if status == 100 or ";tag=" in to else f"To: {to};tag=srv1",
                 f"Call-ID: {request.header('Call-ID')}", f"CSeq: {request.header('CSeq')}",
                 f"Contact: <sip:srv@127.0.0.1:{self.port}>"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def send_bye(self) -> None:
        """Hang up the answered call from this side."""
        assert self.caller_sip is not None
        invite = next(r for r in self.requests if r.method == "INVITE")
        lines = [f"BYE sip:bench@127.0.0.1:{self.caller_sip[1]} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bKsrvbye",
                 f"From: {invite.header('To')};tag=srv1", f"To: {invite.header('From')}",
                 f"Call-ID: {invite.header('Call-ID')}", "CSeq: 9 BYE", "Content-Length: 0"]
        self._send(("\r\n".join(lines) + "\r\n\r\n").encode(), self.caller_sip)


async def refusing_callee(port: int, status: int, reason: str, ring_seconds: float = 1.5) -> ScriptedPhone:
    return await ScriptedPhone(status, reason, ring_seconds).start(port)
