"""The ARI events websocket as an async iterator that reconnects by itself.

A reader task drains the socket into a queue, so a slow consumer never stalls websocket
pings, and events that arrive before iteration starts are kept. After each (re)connect a
`Connected` event is yielded: on attempt > 0 the consumer should reconcile its calls with
`GET /channels`, since events may have been missed while disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Protocol

import aiohttp

from .backoff import reconnect_delays
from .events import Connected, Event, parse_event

log = logging.getLogger(__name__)
_CLOSED = object()


class EventSource(Protocol):
    """What the stream needs from the ARI client: the app name and an authenticated websocket."""

    app: str

    def ws_connect(
        self, path: str, params: Mapping[str, str], heartbeat: float
    ) -> contextlib.AbstractAsyncContextManager[aiohttp.ClientWebSocketResponse]: ...


class EventStream:
    """`async with client.events() as events: async for event in events: ...`"""

    def __init__(
        self,
        client: EventSource,
        *,
        heartbeat: float = 15.0,
        delays: Callable[[], Iterator[float]] = reconnect_delays,
    ) -> None:
        self._client = client
        self._heartbeat = heartbeat
        self._delays = delays
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closed = False
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.connects = 0

    @property
    def connected(self) -> bool:
        """Whether the websocket is up right now (for health checks)."""
        return self._connected.is_set()

    async def disconnect(self) -> None:
        """Drop the current websocket; the stream reconnects by itself (tests of lost events use this)."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()

    def start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name=f"ari-events-{self._client.app}")

    async def wait_connected(self) -> None:
        """Wait until the app is registered in Asterisk (calls before that get no Stasis app)."""
        self.start()
        await self._connected.wait()

    async def __aenter__(self) -> EventStream:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> EventStream:
        self.start()
        return self

    async def __anext__(self) -> Event:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # wake any other consumer too
            raise StopAsyncIteration
        assert isinstance(item, Event)
        return item

    async def aclose(self) -> None:
        """Stop reading and end iteration; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._queue.put_nowait(_CLOSED)

    async def _run(self) -> None:
        delays = self._delays()
        attempt = 0
        while True:
            try:
                await self._read_once(attempt)
                delays = self._delays()
                reason = "closed by server"
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                reason = f"{type(err).__name__}: {err}"
            self._connected.clear()
            attempt += 1
            delay = next(delays)
            log.warning("ARI events websocket down (%s); reconnecting in %.2fs", reason, delay)
            await asyncio.sleep(delay)

    async def _read_once(self, attempt: int) -> None:
        params = {"app": self._client.app, "subscribeAll": "false"}
        async with self._client.ws_connect("/events", params, self._heartbeat) as ws:
            self._ws = ws
            self.connects += 1
            self._connected.set()
            self._queue.put_nowait(Connected(type=Connected.TYPE, application=self._client.app, attempt=attempt))
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(msg.data)
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    raise aiohttp.ClientError(f"websocket error: {ws.exception()!r}")

    def _dispatch(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("ARI sent a non-JSON event (%d bytes); ignored", len(text))
            return
        if isinstance(data, dict):
            self._queue.put_nowait(parse_event(data))
