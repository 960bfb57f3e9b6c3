"""The customer's tool server in a real-call run: answers `tool-calls` webhooks from the dialogue.

In a real call the session's tools run the product's way: VoiceDock POSTs a signed `tool-calls`
message to each function tool's `url`. This receiver, on 127.0.0.1, stands in for the
customer's server. It checks every request's signature exactly as the product docs tell
customers to (HMAC-SHA256 of "<timestamp>.<raw body>", the seed's scheme), refuses a bad one
with 401 as such a server would, and answers each call from the current dialogue's canned
results (the same `CannedServer` the text runner uses). Every request is kept, with how far its
signed timestamp was from the server's faked clock: a second check that `now` held.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Answer = Callable[[str, Mapping[str, Any]], Any]


def signature_ok(payload: str, timestamp: str, signature: str, secret: str) -> bool:
    """The product docs' receiver check (tests/webhooks/helpers.py `verify_webhook_signature`)."""
    sig_hex = signature.removeprefix("sha256=")
    message = f"{timestamp}.{payload}"
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(sig_hex, expected)


@dataclass
class ToolHit:
    """One tool call as the customer's server saw it."""

    domain: str
    call_id: str | None
    tool_call_id: str
    name: str
    arguments: dict[str, Any]
    signed: bool
    clock_skew_s: float | None  # signed timestamp minus the server clock the runner aimed at
    at: float = field(default_factory=time.monotonic)


class ToolReceiver:
    """POST /tools/<domain>: one route per domain, each with its assistant's webhook secret."""

    def __init__(self, server_now: Callable[[], float]) -> None:
        self.server_now = server_now
        self.secrets: dict[str, str] = {}
        self.answer: Answer | None = None  # the current dialogue's canned server
        self.hits: list[ToolHit] = []
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None

    async def start(self, port: int) -> str:
        """Serve on 127.0.0.1:`port`; returns the base URL tools point at."""
        app = web.Application()
        app.router.add_post("/tools/{domain}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}/tools"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        domain = request.match_info["domain"]
        body = await request.text()
        stamp = request.headers.get("X-Webhook-Timestamp", "")
        secret = self.secrets.get(domain)
        signed = secret is not None and signature_ok(body, stamp, request.headers.get("X-Webhook-Signature", ""), secret)
        skew = round(float(stamp) - self.server_now(), 1) if stamp.isdigit() else None
        message = (json.loads(body) if body else {}).get("message") or {}
        call_id = (message.get("call") or {}).get("id")
        calls = message.get("tool_call_list") or []
        for item in calls:
            function = item.get("function") or {}
            self.hits.append(ToolHit(domain, call_id, str(item.get("id")), str(function.get("name")),
                                     dict(function.get("arguments") or {}), signed, skew))
        if not signed:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        results = []
        for item in calls:
            function = item.get("function") or {}
            name, arguments = str(function.get("name")), dict(function.get("arguments") or {})
            result = self.answer(name, arguments) if self.answer is not None else {"ok": True}
            results.append({"tool_call_id": item.get("id"), "result": result})
        return web.json_response({"results": results})

    def for_call(self, call_id: str | None) -> list[ToolHit]:
        return [h for h in self.hits if h.call_id == call_id]
