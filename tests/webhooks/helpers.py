"""Shared pieces for webhook tests: a recording receiver, assistant rows, waiting on conditions."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from voicedock.ids import new_id
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.timeutil import now_iso


def verify_webhook_signature(payload: str, timestamp: str, signature: str, secret: str) -> bool:
    """The product docs' Python check, copied verbatim: every request we send must pass it."""
    sig_hex = signature.removeprefix("sha256=")
    message = f"{timestamp}.{payload}"
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig_hex, expected)


MAX_AGE_SECONDS = 300


def fresh(timestamp: str, now: float | None = None) -> bool:
    """Receiver-side replay guard: reject signatures older than five minutes."""
    return abs((now if now is not None else time.time()) - int(timestamp)) <= MAX_AGE_SECONDS


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float  # time.monotonic()

    @property
    def event_id(self) -> str:
        return self.headers["X-Webhook-Id"]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


async def ok(request: web.Request, n: int) -> web.StreamResponse:
    return web.json_response({})


@dataclass
class Receiver:
    """Records every request; ``routes[path]`` decides the answer from the request and its index for that path."""

    routes: dict[str, Handler] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    secret: str | None = None
    bad_signatures: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        rec = Received(request.path, dict(request.headers), body, time.monotonic())
        if self.secret is not None and not verify_webhook_signature(
            body, rec.headers["X-Webhook-Timestamp"], rec.headers["X-Webhook-Signature"], self.secret
        ):
            self.bad_signatures += 1
        index = sum(1 for r in self.received if r.path == request.path)
        self.received.append(rec)
        return await self.routes.get(request.path, ok)(request, index)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self.handle)
        return app

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@asynccontextmanager
async def receiving(hooks: Receiver, path: str = "/hooks") -> AsyncIterator[str]:
    """Serve `hooks` on loopback for the duration; the URL of `path` on it."""
    server = TestServer(hooks.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}{path}"
    finally:
        await server.close()


def add_assistant(db: Database, box: SecretBox, config: dict[str, Any], secret: str = "whsec_test") -> str:
    assistant_id = new_id("assistant")
    stamp = now_iso()
    row = {
        "id": assistant_id,
        "name": config.get("name", "test"),
        "is_active": 1,
        "config": json.dumps(config),
        "webhook_secret_enc": box.encrypt(secret),
        "created_at": stamp,
        "updated_at": stamp,
    }
    db.write_sync(lambda d: d["assistants"].insert(row))
    return assistant_id


async def wait_for(predicate: Callable[[], bool], within: float = 5.0, step: float = 0.01) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(step)


async def wait_for_db(db: Database, query: Callable[[Any], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await db.read(query):
        if time.monotonic() > deadline:
            raise AssertionError(f"database condition not met within {within} s")
        await asyncio.sleep(0.02)


def event_rows(d: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in d.query("SELECT * FROM webhook_events")}
