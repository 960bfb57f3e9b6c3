"""Calls in progress: a page that follows their transcripts as they happen (server-sent events) and
sends the live control commands through `POST /calls/{id}/control`'s own handler.

The event stream polls the store once a second rather than hooking the call side: the API may run
apart from the calls it shows, and a read of the few live calls costs well under a millisecond.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from voicedock.schemas.calls import ControlRequest
from voicedock.store import calls as store_calls
from voicedock.store.calls import ACTIVE_STATUSES

from ..context import read
from ..errors import ApiError
from ..routes import calls as api_calls
from ..spec import validate
from . import sessions, views
from .render import page, see_other

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0  # then the browser reconnects on its own, and its session is checked afresh
LIVE_LIMIT = 100
COMMANDS = {"say": ("content", "end_after"), "inject-context": ("content", "trigger_response"),
            "transfer": ("destination", "message"), "end-call": ("message",)}
FLAGS = ("end_after", "trigger_response")
CLOSING = web.AppKey("dashboard_live_closing", asyncio.Event)


def setup(app: web.Application) -> None:
    """Open event streams end as the server shuts down, instead of holding its exit for the runner's timeout."""
    app[CLOSING] = asyncio.Event()

    async def close_streams(app: web.Application) -> None:
        app[CLOSING].set()

    app.on_shutdown.append(close_streams)


def live_calls(d: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for status in ACTIVE_STATUSES:
        found += store_calls.list_calls(d, limit=LIVE_LIMIT, offset=0, status=status)[0]
    return sorted(found, key=lambda c: c["created_at"], reverse=True)


def _lines(call: dict[str, Any]) -> list[views.Line]:
    return views.timeline(call["messages"], call["tool_calls"], call["started_at"])


async def live_page(request: web.Request, status: int = 200, errors: dict[str, str] | None = None) -> web.Response:
    calls = await read(request, live_calls)
    errors = errors or {}
    shown = {c["id"] for c in calls}
    return page(request, "live.html", status, title="Live", calls=[(c, _lines(c)) for c in calls],
                errors=errors, other_errors=[f"{ident}: {e}" for ident, e in errors.items() if ident not in shown])


async def live_view(request: web.Request) -> web.StreamResponse:
    return await live_page(request)


def _snapshot(request: web.Request, calls: list[dict[str, Any]]) -> str:
    template = aiohttp_jinja2.get_env(request.app).get_template("_transcript.html")
    return json.dumps({"ids": [c["id"] for c in calls],
                       "transcripts": {c["id"]: template.render(lines=_lines(c)) for c in calls}})


async def events(request: web.Request) -> web.StreamResponse:
    """`event: calls` with the live calls' ids and transcript HTML whenever any of them changes."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    seen: object = None
    closing = request.app[CLOSING]
    started = last_write = time.monotonic()
    while (not closing.is_set() and time.monotonic() - started < STREAM_SECONDS
           and await sessions.current(request) is not None):
        calls = await read(request, live_calls)
        state = [(c["id"], c["status"], len(c["messages"]), len(c["tool_calls"])) for c in calls]
        if state != seen:
            seen = state
            await response.write(f"event: calls\ndata: {_snapshot(request, calls)}\n\n".encode())
            last_write = time.monotonic()
        elif time.monotonic() - last_write > HEARTBEAT_SECONDS:
            await response.write(b": still here\n\n")
            last_write = time.monotonic()
        try:
            await asyncio.wait_for(closing.wait(), POLL_SECONDS)
        except TimeoutError:
            pass
    return response


async def _command(request: web.Request) -> dict[str, Any]:
    form = await request.post()
    kind = str(form.get("type", ""))
    command: dict[str, Any] = {"type": kind}
    for name in COMMANDS.get(kind, ()):
        value = form.get(name)
        if name in FLAGS:
            command[name] = value == "on"
        elif isinstance(value, str) and value.strip():
            command[name] = value.strip()
    return command


async def control(request: web.Request) -> web.StreamResponse:
    """A command from a live call's form; a refusal (a bad field, a call already over) is shown on the page."""
    ident = request.match_info["id"]
    try:
        body = validate(ControlRequest, await _command(request))
        await api_calls.control_call(request, body=body)
    except ApiError as err:
        field = f" ({err.param.split('.')[-1]})" if err.param else ""
        return await live_page(request, err.status, {ident: f"{err.message}{field}"})
    return see_other(f"/dashboard/live#call-{ident}")
