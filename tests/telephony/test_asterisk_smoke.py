"""A real call through the project's Asterisk: baresip dials +15550100, the app answers over ARI,
bridges the call to an externalMedia RTP endpoint, hears the caller's tone and answers with another."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicedock_ari.ari import AriClient, EventStream
from voicedock_ari.ari.events import StasisStart
from voicedock_ari.call_media import MediaLeg, StasisStarts, connect_media
from voicedock_ari.settings import AsteriskSettings

from .audio import dominant_hz, read_wav, rms, tone, write_wav
from .callers import dial

pytestmark = pytest.mark.asterisk

CALLER_HZ = 440.0
APP_HZ = 1000.0


async def next_inbound(events: EventStream, starts: StasisStarts, inbound: asyncio.Queue[StasisStart]) -> None:
    """Dispatcher: our own channels' StasisStart go to waiters, callers' to the inbound queue."""
    async for event in events:
        if starts.feed(event):
            continue
        if isinstance(event, StasisStart) and event.args[:1] == ("inbound",):
            inbound.put_nowait(event)


async def collect(leg: MediaLeg, seconds: float, skip: float = 0.2) -> np.ndarray:
    frames = []
    needed = int((seconds + skip) / 0.02)
    async for frame in leg.endpoint:
        frames.append(frame)
        if len(frames) >= needed:
            break
    return np.concatenate(frames[int(skip / 0.02) :])


@pytest.mark.parametrize("fmt", ["ulaw", "slin"])
async def test_inbound_call_audio_flows_both_ways(asterisk: AsteriskSettings, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "caller.wav"
    write_wav(source, tone(CALLER_HZ, 8.0))
    starts = StasisStarts()
    inbound: asyncio.Queue[StasisStart] = asyncio.Queue()
    async with AriClient(asterisk) as ari, ari.events() as events:
        await asyncio.wait_for(events.wait_connected(), 5)
        dispatcher = asyncio.create_task(next_inbound(events, starts, inbound))
        caller = await dial(tmp_path / "baresip", source, f"sip:+15550100@127.0.0.1:{asterisk.sip_port}")
        try:
            try:
                start = await asyncio.wait_for(inbound.get(), 10)
            except TimeoutError:
                pytest.fail(f"no StasisStart for the caller; baresip said:\n{caller.log[-3000:]}")
            assert start.args == ("inbound", "+15550100", "")  # the dialed number; no hand-back mark on one node
            await ari.answer(start.channel.id)
            leg = await connect_media(ari, start.channel.id, starts, fmt=fmt)
            try:
                leg.endpoint.send_pcm(tone(APP_HZ, 1.5))
                leg.endpoint.flush()
                heard_by_app = await asyncio.wait_for(collect(leg, 1.0), 5)
                await asyncio.wait_for(leg.endpoint.wait_sent(), 5)
                await asyncio.sleep(0.2)
            finally:
                assert await ari.hangup(start.channel.id) in (True, False)
                await leg.aclose()
                await leg.aclose()  # teardown twice is harmless: 404 means already gone
            stats = leg.endpoint.stats
            assert stats.jitter.malformed == 0 and stats.jitter.wrong_ssrc == 0
            assert stats.sent_packets >= 70
        finally:
            dispatcher.cancel()
            await asyncio.sleep(0.3)
            await caller.stop()

        assert abs(dominant_hz(heard_by_app) - CALLER_HZ) < 15, "the app did not hear the caller's tone"
        assert rms(heard_by_app) > 1000

        heard = caller.heard_wav
        assert heard is not None, caller.log
        pcm, rate = read_wav(heard)
        loud = pcm[np.abs(pcm) > 2000]
        assert len(loud) > rate // 2, "the caller heard (almost) nothing"
        window = pcm[np.argmax(np.abs(pcm) > 2000) :][:rate]
        assert abs(dominant_hz(window, rate) - APP_HZ) < 15, "the caller did not hear the app's tone"

        assert all(b.id != leg.bridge.id for b in await ari.list_bridges())
        assert await ari.get_channel(leg.external.channel.id) is None
