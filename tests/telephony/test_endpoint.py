"""RTP endpoint on loopback: decodes what arrives, paces what it sends, survives garbage."""

from __future__ import annotations

import asyncio
import socket

import numpy as np

from voicedock.audio import ulaw_encode
from voicedock_ari.media.endpoint import RtpEndpoint
from voicedock_ari.media.rtp import RtpPacket, pack, parse


def far_end() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def rtp(seq: int, samples: np.ndarray, ssrc: int = 42, pt: int = 0) -> bytes:
    return pack(RtpPacket(payload_type=pt, sequence=seq, timestamp=seq * 160, ssrc=ssrc, payload=ulaw_encode(samples)))


async def test_received_packets_come_out_as_ordered_pcm_frames_and_garbage_is_counted() -> None:
    sock = far_end()
    async with await RtpEndpoint.open() as endpoint:
        target = endpoint.local_address
        frames = [np.full(160, 1000 * (i + 1), dtype=np.int16) for i in range(3)]
        for data in [
            rtp(10, frames[0]),
            b"\x00garbage",
            rtp(12, frames[2]),
            rtp(11, frames[1]),
            rtp(11, frames[1]),
            rtp(13, frames[2], ssrc=99),
            rtp(13, frames[2], pt=8),
            b"\x80" * 3000,
        ]:
            sock.sendto(data, target)
        got = [await asyncio.wait_for(endpoint.read(), 1) for _ in range(3)]
        assert [round(float(np.median(f)), -2) for f in got] == [1000, 2000, 3000]
        await asyncio.sleep(0.05)
        stats = endpoint.stats
        assert (stats.jitter.malformed, stats.jitter.duplicate, stats.jitter.wrong_ssrc) == (1, 1, 1)
        assert (stats.wrong_payload_type, stats.oversized) == (1, 1)
    sock.close()


async def test_sent_audio_is_paced_20ms_apart_to_the_remote_with_consecutive_seq() -> None:
    sock = far_end()
    loop = asyncio.get_running_loop()
    async with await RtpEndpoint.open() as endpoint:
        endpoint.set_remote(*sock.getsockname())
        endpoint.send_pcm(np.zeros(160 * 5, dtype=np.int16))
        arrivals = []
        for _ in range(5):
            data = await asyncio.wait_for(loop.sock_recv(sock, 2048), 1)
            arrivals.append((loop.time(), parse(data)))
        await asyncio.wait_for(endpoint.wait_sent(), 1)
    gaps = np.diff([t for t, _ in arrivals])
    assert np.all((gaps > 0.012) & (gaps < 0.04)), gaps
    seqs = [p.sequence for _, p in arrivals]
    assert [(s - seqs[0]) % 65536 for s in seqs] == [0, 1, 2, 3, 4]
    assert arrivals[0][1].marker and not any(p.marker for _, p in arrivals[1:])
    sock.close()


async def test_clear_output_stops_sending_immediately() -> None:
    sock = far_end()
    loop = asyncio.get_running_loop()
    async with await RtpEndpoint.open() as endpoint:
        endpoint.set_remote(*sock.getsockname())
        endpoint.send_pcm(np.zeros(160 * 100, dtype=np.int16))
        await asyncio.wait_for(loop.sock_recv(sock, 2048), 1)
        dropped = endpoint.clear_output()
        await asyncio.sleep(0.1)
        assert dropped >= 90
        assert endpoint.stats.sent_packets <= 3
        assert endpoint.sent_seconds <= 0.06


async def test_replies_go_back_to_the_sender_when_no_remote_was_given() -> None:
    sock = far_end()
    loop = asyncio.get_running_loop()
    async with await RtpEndpoint.open() as endpoint:
        sock.sendto(rtp(1, np.zeros(160, dtype=np.int16)), endpoint.local_address)
        await asyncio.wait_for(endpoint.read(), 1)
        endpoint.send_pcm(np.zeros(160, dtype=np.int16))
        data = await asyncio.wait_for(loop.sock_recv(sock, 2048), 1)
        assert parse(data).payload == b"\xff" * 160
    sock.close()


async def test_readers_end_when_the_endpoint_closes() -> None:
    endpoint = await RtpEndpoint.open()
    reader = asyncio.create_task(anext(aiter(endpoint), None))
    await asyncio.sleep(0)
    await endpoint.aclose()
    await endpoint.aclose()
    assert await asyncio.wait_for(reader, 1) is None


async def test_pause_output_holds_the_audio_until_resumed() -> None:
    sock = far_end()
    loop = asyncio.get_running_loop()
    async with await RtpEndpoint.open() as endpoint:
        endpoint.set_remote(*sock.getsockname())
        endpoint.send_pcm(np.zeros(160 * 10, dtype=np.int16))
        await asyncio.wait_for(loop.sock_recv(sock, 2048), 1)
        endpoint.pause_output()
        sent = endpoint.stats.sent_packets
        waiter = asyncio.ensure_future(endpoint.wait_sent())
        await asyncio.sleep(0.15)
        assert endpoint.stats.sent_packets <= sent + 1  # a frame may have been on its way
        assert endpoint.sent_seconds <= 0.04
        assert not waiter.done()  # the held audio is still to be sent
        endpoint.resume_output()
        await asyncio.wait_for(waiter, 1)
        assert endpoint.stats.sent_packets == 10
        assert abs(endpoint.sent_seconds - 0.2) < 1e-9
    sock.close()
