"""Hostile connections over real sockets: silent, half-sent, too many, malformed and compressed-bomb requests."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web

from api.app import create_app
from api.server import ApiRunner
from voicedock.config import Settings
from voicedock.store import Database

Start = Callable[..., Awaitable[int]]


@pytest.fixture
async def serve(db: Database, settings: Settings) -> AsyncIterator[Start]:
    """Start the API on a free port through the runner `voicedock serve` uses; returns the port."""
    runners: list[web.AppRunner] = []

    async def start(**overrides: Any) -> int:
        configured = replace(settings, **overrides)
        runner = ApiRunner(create_app(configured, db=db), configured)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()


async def exchange(port: int, data: bytes, within: float, until_closed: bool = True) -> tuple[bytes, float]:
    """Send `data`, then read until the server closes (or one reply is in); (reply, seconds taken)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(data)
    await writer.drain()
    try:
        if until_closed:
            reply = await asyncio.wait_for(reader.read(), within)
        else:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), within)
            length = int(parse(head + b"null")[1]["Content-Length"])
            reply = head + await asyncio.wait_for(reader.readexactly(length), within)
    finally:
        writer.close()
    return reply, time.monotonic() - started


def parse(reply: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def assert_envelope(reply: bytes, status: int, code: str) -> dict[str, str]:
    got, headers, body = parse(reply)
    assert got == status, reply
    assert headers["Content-Type"].startswith("application/json")
    assert set(body["error"]) == {"code", "message", "param", "type"}
    assert body["error"]["code"] == code, body
    return headers


@pytest.mark.parametrize("sent", [b"", b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nAccept: "])
async def test_silent_and_half_sent_headers_are_disconnected(serve: Start, sent: bytes) -> None:
    port = await serve(header_timeout=0.5)
    reply, seconds = await exchange(port, sent, within=5)
    if reply:  # closed silently (aiohttp's own idle timer) or with a 408 (ours), whichever fires first
        assert_envelope(reply, 408, "request_timeout")
    assert seconds < 3


async def test_an_idle_keep_alive_connection_is_closed(serve: Start) -> None:
    port = await serve(header_timeout=0.5)
    reply, seconds = await exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", within=5)
    assert parse(reply)[0] == 200
    assert seconds < 3


@pytest.mark.parametrize("with_key", [True, False])
async def test_a_half_sent_body_is_disconnected(serve: Start, api_key: str, with_key: bool) -> None:
    port = await serve(header_timeout=5, body_timeout=0.5)
    auth = f"Authorization: Bearer {api_key}\r\n" if with_key else ""
    request = (f"POST /api/v1/assistants HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
               "Content-Length: 100\r\n\r\n{\"system_prompt\": ").encode()
    reply, seconds = await exchange(port, request, within=5)
    if with_key:
        assert_envelope(reply, 408, "request_timeout")
    else:
        assert_envelope(reply, 401, "missing_api_key")
    assert seconds < 3


async def test_connections_over_the_cap_are_refused_with_503(serve: Start) -> None:
    port = await serve(max_connections=2, header_timeout=30)
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
    await asyncio.sleep(0.1)
    reply, _ = await exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", within=5)
    headers = assert_envelope(reply, 503, "too_many_connections")
    assert headers["Retry-After"] == "1"
    for _, writer in held:
        writer.close()
    await asyncio.sleep(0.2)
    reply, _ = await exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", within=5)
    assert parse(reply)[0] == 200


@pytest.mark.parametrize("request_line", [b"GET /api/v1/health HTTP/1.1 extra\r\n\r\n", b"\x00\x01 / HTTP/1.1\r\n\r\n",
                                          b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"])
async def test_malformed_requests_answer_the_envelope_and_log_no_traceback(
        serve: Start, caplog: pytest.LogCaptureFixture, request_line: bytes) -> None:
    caplog.set_level(logging.DEBUG)
    port = await serve()
    for _ in range(3):
        reply, _ = await exchange(port, request_line, within=5)
        assert_envelope(reply, 400, "malformed_request")
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    lines = [r for r in caplog.records if r.getMessage() in ("malformed HTTP request", "not an HTTP request")]
    assert len(lines) == 3  # one short line per request


@functools.cache
def gzip_bomb(inflated: int = 512 << 20) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(inflated >> 20)) + packer.flush()


async def worst_loop_stall(seconds: float) -> float:
    worst, end = 0.0, time.monotonic() + seconds
    while time.monotonic() < end:
        before = time.monotonic()
        await asyncio.sleep(0.005)
        worst = max(worst, time.monotonic() - before - 0.005)
    return worst


@pytest.mark.parametrize("with_key", [True, False])
async def test_a_gzip_bomb_is_413_or_dropped_without_stalling_the_loop(
        serve: Start, api_key: str, with_key: bool) -> None:
    port = await serve()
    bomb = gzip_bomb()
    auth = f"Authorization: Bearer {api_key}\r\n" if with_key else ""
    head = (f"POST /api/v1/assistants HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n").encode()
    stall = asyncio.create_task(worst_loop_stall(2.0))
    reply, seconds = await exchange(port, head + bomb, within=10, until_closed=False)
    if with_key:
        assert_envelope(reply, 413, "payload_too_large")
    else:
        assert_envelope(reply, 401, "missing_api_key")
    assert await stall < 0.3  # 1.2 s before; headroom for a loaded CI host
    assert seconds < 2


async def test_a_body_of_half_a_million_arrays_is_413_before_it_is_parsed(serve: Start, api_key: str) -> None:
    port = await serve()
    nested = b"[[[[[[[[[[1]]]]]]]]]],"
    body = b'{"system_prompt": "x", "metadata": {"a": [' + nested * ((1 << 20) // len(nested) - 4) + b"1]}}"
    head = (f"POST /api/v1/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    stall = asyncio.create_task(worst_loop_stall(1.0))
    reply, _ = await exchange(port, head + body, within=10, until_closed=False)
    assert_envelope(reply, 413, "payload_too_large")
    assert await stall < 0.25  # headroom for a loaded CI host
