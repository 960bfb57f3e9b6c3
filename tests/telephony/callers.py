"""A real SIP caller for tests: baresip plays a WAV into the call and records what it hears."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    (workdir / "config").write_text(CONFIG.format(port=free_udp_port(), source=source_wav, dump_dir=workdir))
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
    return BaresipCall(process=process, workdir=workdir)


def write_listener_config(workdir: Path, source_wav: Path, port: int, user: str) -> BinaryIO:
    """Like `write_config`, but listening on a fixed port and answering by itself."""
    log = write_config(workdir, source_wav)
    config = (workdir / "config").read_text().replace("sip_listen\t\t127.0.0.1:0", f"sip_listen\t\t127.0.0.1:{port}")
    (workdir / "config").write_text(config)
    (workdir / "accounts").write_text(f"<sip:{user}@127.0.0.1:{port}>;regint=0;answermode=auto;audio_codecs=PCMU\n")
    return log


class RefusingCallee(asyncio.DatagramProtocol):
    """A SIP phone on 127.0.0.1 that rings for `ring_seconds`, then answers every INVITE with
    `status` (486 busy, 603 decline, ...). Keeps the methods it received."""

    def __init__(self, status: int, reason: str, ring_seconds: float) -> None:
        self.status, self.reason, self.ring_seconds = status, reason, ring_seconds
        self.methods: list[str] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        head = data.decode(errors="replace").split("\r\n\r\n", 1)[0].split("\r\n")
        if head[0].startswith("SIP/2.0"):
            return
        method = head[0].split()[0]
        self.methods.append(method)
        headers = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
        if method == "INVITE":
            self._reply(headers, addr, 100, "Trying")
            self._reply(headers, addr, 180, "Ringing")
            asyncio.get_running_loop().call_later(self.ring_seconds, self._reply, headers, addr, self.status, self.reason)
        elif method in ("BYE", "CANCEL", "OPTIONS"):
            self._reply(headers, addr, 200, "OK")

    def _reply(self, headers: list[str], addr: tuple[str, int], status: int, reason: str) -> None:
        lines = [f"SIP/2.0 {status} {reason}"]
        for header in headers:
            tagged = header.lower().startswith("to:") and ";tag=" not in header
            lines.append(f"{header};tag=callee1" if tagged and status > 100 else header)
        lines.append("Content-Length: 0")
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), addr)


async def refusing_callee(port: int, status: int, reason: str, ring_seconds: float = 1.5) -> RefusingCallee:
    _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: RefusingCallee(status, reason, ring_seconds), local_addr=("127.0.0.1", port))
    return protocol
