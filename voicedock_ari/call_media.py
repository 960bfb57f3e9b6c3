"""Attach a call to the media endpoint: mixing bridge + externalMedia channel + RTP endpoint.

The order matters (measured on Asterisk 22): the externalMedia channel must have its *own*
StasisStart before it can join a bridge (earlier gives 422), and channels join one at a time.
Teardown is idempotent because the caller may hang up at any moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

from .ari.client import AriClient
from .ari.events import Event, StasisStart
from .ari.models import Bridge, ExternalMedia
from .media.endpoint import RtpEndpoint


class StasisStarts:
    """Futures for StasisStart of channels we created ourselves, registered before the REST call."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[StasisStart]] = {}

    def expect(self, channel_id: str) -> asyncio.Future[StasisStart]:
        future: asyncio.Future[StasisStart] = asyncio.get_running_loop().create_future()
        self._waiting[channel_id] = future
        return future

    def discard(self, channel_id: str) -> None:
        future = self._waiting.pop(channel_id, None)
        if future is not None and not future.done():
            future.cancel()

    def feed(self, event: Event) -> bool:
        """Resolve a waiter; True when the event belonged to one (the dispatcher can skip it)."""
        if not isinstance(event, StasisStart):
            return False
        future = self._waiting.pop(event.channel.id, None)
        if future is None:
            return False
        if not future.done():
            future.set_result(event)
        return True


@dataclass
class MediaLeg:
    """Everything one call's media needs; `aclose()` removes it all, whatever is already gone."""

    ari: AriClient
    channel_id: str
    bridge: Bridge
    external: ExternalMedia
    endpoint: RtpEndpoint

    async def aclose(self) -> None:
        await self.endpoint.aclose()
        await self.ari.hangup(self.external.channel.id)
        await self.ari.destroy_bridge(self.bridge.id)


async def connect_media(
    ari: AriClient,
    channel_id: str,
    starts: StasisStarts,
    *,
    fmt: str = "ulaw",
    host: str = "127.0.0.1",
    start_seconds: float = 5.0,
) -> MediaLeg:
    """Bridge an answered channel to a new RTP endpoint; cleans up what it made if any step fails."""
    endpoint = await RtpEndpoint.open(host, fmt=fmt)
    external_id = f"vd-media-{uuid.uuid4()}"
    bridge: Bridge | None = None
    external: ExternalMedia | None = None
    try:
        bridge = await ari.create_bridge(type="mixing", name=f"vd-{channel_id}")
        started = starts.expect(external_id)
        external = await ari.external_media(endpoint.external_host, format=fmt, channel_id=external_id)
        endpoint.set_remote(external.local_address, external.local_port)
        await asyncio.wait_for(started, start_seconds)
        await ari.add_channel(bridge.id, channel_id)
        await ari.add_channel(bridge.id, external_id)
    except BaseException:
        starts.discard(external_id)
        await endpoint.aclose()
        with contextlib.suppress(Exception):
            await ari.hangup(external_id)
        if bridge is not None:
            with contextlib.suppress(Exception):
                await ari.destroy_bridge(bridge.id)
        raise
    assert bridge is not None and external is not None
    return MediaLeg(ari=ari, channel_id=channel_id, bridge=bridge, external=external, endpoint=endpoint)
