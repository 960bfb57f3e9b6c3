"""One signed HTTP POST, measured and summarised for the delivery log.

Shared by the outbox worker and the request-response client so both sign, time and record an
attempt the same way. Network failures become data (``error``); cancellation is never swallowed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from ..timeutil import now_iso
from .routing import redact_url
from .signing import build_headers

SNIPPET_CHARS = 500
SNIPPET_READ_BYTES = 4096


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: str
    url: str  # redacted: never carries a password
    status_code: int | None
    latency_ms: float
    response_snippet: str | None = None
    error: str | None = None
    retry_after: str | None = None
    body: bytes = b""  # only filled when the caller asked for the reply body

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class MailOutcome:
    """One attempt to send an outbox mail row; `permanent` when no retry can fix the failure."""

    result: AttemptResult
    permanent: bool = False


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < cap:
        chunk = await resp.content.read(cap - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"[:SNIPPET_CHARS]


async def post_signed(
    session: aiohttp.ClientSession,
    *,
    url: str,
    secret: str,
    event_type: str,
    event_id: str,
    body: str,
    deadline: float,
    reply_limit: int = 0,
) -> AttemptResult:
    """POST ``body`` once within ``deadline`` seconds (connect, send and read included)."""
    raw = body.encode("utf-8")
    headers = build_headers(secret=secret, event_type=event_type, event_id=event_id, raw_body=raw)
    attempted_at = now_iso()
    started = time.perf_counter()
    shown_url = redact_url(url)
    try:
        async with asyncio.timeout(deadline):
            async with session.post(url, data=raw, headers=headers, allow_redirects=False) as resp:
                data = await _read_capped(resp, max(reply_limit, SNIPPET_READ_BYTES))
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
    except TimeoutError:
        return AttemptResult(
            attempted_at, shown_url, None, _elapsed_ms(started), error=f"timed out after {deadline:g} s"
        )
    except (aiohttp.ClientError, OSError, ValueError) as err:
        return AttemptResult(attempted_at, shown_url, None, _elapsed_ms(started), error=_describe(err))
    snippet = data.decode("utf-8", errors="replace")[:SNIPPET_CHARS]
    return AttemptResult(
        attempted_at,
        shown_url,
        status,
        _elapsed_ms(started),
        response_snippet=snippet,
        retry_after=retry_after,
        body=data if reply_limit else b"",
    )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 2)
