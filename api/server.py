"""The API's HTTP transport: the limits aiohttp leaves open, for a server that shares its process with calls.

The API and the call side share one event loop and one file-descriptor table, so a client must not
be able to hold either: aiohttp by default waits for a request's headers and body forever, accepts
connections until descriptors run out (then an inbound call cannot open its RTP socket), inflates an
unread compressed body after the reply (1 MB of gzip → 1 GB, over a second of loop time), and
answers what its own parser rejects in plain text with an ERROR traceback per request.

Here a connection has `header_timeout` seconds to send each request's line and headers (from
connecting, or from its previous reply) and `body_timeout` seconds for the body; open connections
are capped at half the descriptor limit; a body left unread is dropped with the connection, never
inflated; and parser rejections answer the error envelope with one warning line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from voicedock.config import Settings

from .errors import envelope

log = logging.getLogger("voicedock.api")

_REASONS = {408: "Request Timeout", 503: "Service Unavailable"}


def raw_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 error reply, for a connection that has no request object to answer."""
    body = json.dumps(envelope(status, code, message)).encode()
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: close",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def connection_cap(wanted: int) -> int:
    """At most half the descriptors this process may open: the rest stay for RTP, ARI, SQLite and webhooks.

    The soft limit is raised to the hard one first (1024 is a common soft default, far below what a
    server needs); where that is refused the current soft limit is used.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(1, min(wanted, soft // 2))


class _Throttled:
    """One warning per `every` seconds for an event a client can repeat at will, with how often it happened."""

    def __init__(self, message: str, every: float = 60.0) -> None:
        self.message = message
        self.every = every
        self._last = float("-inf")
        self._count = 0

    def hit(self, **extra: Any) -> None:
        self._count += 1
        now = time.monotonic()
        if now - self._last >= self.every:
            log.warning(self.message, extra={**extra, "times": self._count})
            self._last = now
            self._count = 0


class GuardedRequestHandler(RequestHandler):
    """aiohttp's protocol with a header deadline, a connection cap, lean lingering and enveloped parser errors."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = manager
        self._header_timer: asyncio.TimerHandle | None = None
        self._dropping_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        guard = self._guard
        if len(guard.connections) > guard.max_connections:
            guard.refused.hit(limit=guard.max_connections)
            self._close_with(raw_error(503, "too_many_connections", "The server has too many open connections; "
                                       "retry shortly", {"Retry-After": "1"}))
            return
        # Later requests on the connection are bounded by keepalive_timeout (set to the same value).
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(guard.header_timeout, self._headers_overdue)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_overdue(self) -> None:
        self._header_timer = None
        if self._request_count == 0:  # not one request line and headers in header_timeout seconds
            self._close_with(raw_error(408, "request_timeout",
                                       f"No complete request headers within {self._guard.header_timeout:g} s"))

    def _close_with(self, reply: bytes) -> None:
        if self.transport is not None:
            self.transport.write(reply)
        self.force_close()

    def data_received(self, data: bytes) -> None:
        if not self._dropping_body:
            super().data_received(data)

    async def finish_response(self, request: web.BaseRequest, resp: web.StreamResponse,
                              start_time: float | None) -> tuple[web.StreamResponse, bool]:
        # The unread rest of a body is drained after the reply ("lingering", so the client is not reset
        # before it reads the reply); then the connection closes. A compressed rest is dropped as it
        # arrives rather than inflated, and a body that was too slow has had its time.
        if not request.content.is_eof():
            if resp.status == 408:
                self._lingering_time = 0.0
            elif request.headers.get("Content-Encoding"):
                self._dropping_body = True
        return await super().finish_response(request, resp, start_time)

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        if status >= 500:
            self.log_exception("Error handling request", exc_info=exc)
            body = envelope(500, "internal_error", "Internal server error")
        else:
            reason = " ".join((exc.message if isinstance(exc, HttpProcessingError) else message or "").split())
            body = envelope(status, "malformed_request", f"Malformed HTTP request: {reason[:200] or 'unreadable'}")
            # Neither the request line nor the headers are logged: they may hold a key.
            extra = {"remote": request.remote, "status": status, "error": type(exc).__name__}
            if isinstance(exc, BadHttpMethod) and self._request_count == 1:
                log.debug("not an HTTP request", extra=extra)  # TLS or other traffic on the port: noise
            else:
                log.warning("malformed HTTP request", extra=extra)
        resp = web.json_response(body, status=status, dumps=json.dumps)
        resp.force_close()
        return resp


class GuardedServer(web.Server):
    """aiohttp's connection manager, making `GuardedRequestHandler`s."""

    def __init__(self, handler: Any, *, header_timeout: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.refused = _Throttled("API connection refused: too many open connections")

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(self, loop=self._loop, **self._kwargs)


class ApiRunner(web.AppRunner):
    """`web.AppRunner` serving through `GuardedServer`, with the limits from the settings."""

    def __init__(self, app: web.Application, settings: Settings) -> None:
        super().__init__(app, access_log=None, keepalive_timeout=settings.header_timeout,
                         lingering_time=min(10.0, settings.body_timeout))
        self.settings = settings

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        cap = connection_cap(self.settings.max_connections)
        log.info("api connection limits", extra={"max_connections": cap, "header_timeout": self.settings.header_timeout,
                                                  "body_timeout": self.settings.body_timeout})
        return GuardedServer(plain.request_handler, request_factory=plain.request_factory,
                             handler_cancellation=plain.handler_cancellation, loop=asyncio.get_running_loop(),
                             header_timeout=self.settings.header_timeout, max_connections=cap, **plain._kwargs)
