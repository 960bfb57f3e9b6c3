"""The live view: calls in progress, their transcripts as server-sent events, and control commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.api.fakes import FakeTelephony
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records

from . import seed
from .conftest import csrf_of, login_link, sign_in_by_key


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[TestClient]], telephony: FakeTelephony) -> TestClient:
    return await make_client(telephony_service=telephony)


@pytest.fixture
async def csrf(client: TestClient, db: Database) -> str:
    await client.get(login_link(db))
    return csrf_of(await (await client.get("/dashboard/live")).text())


async def next_event(resp: ClientResponse) -> dict[str, Any]:
    """The data of the next `calls` event on a server-sent event stream."""
    name, data = "", ""
    while True:
        line = (await resp.content.readline()).decode()
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "\n" and name == "calls":
            return dict(json.loads(data))


async def test_the_live_page_shows_calls_in_progress_with_their_transcript(
        client: TestClient, db: Database, csrf: str) -> None:
    live = seed.seed_live_call(db)
    ended = seed.seed_calls(db, 1)[0]
    text = await (await client.get("/dashboard/live")).text()
    assert live in text and ended not in text and "1 call in progress" in text
    assert "I&#39;d like to book a table for two tomorrow at seven." in text
    assert ">End call</button>" in text and ">Say</button>" in text and ">Transfer</button>" in text


async def test_transcript_lines_arrive_as_events(client: TestClient, db: Database, csrf: str) -> None:
    call_id = seed.seed_live_call(db)
    resp = await client.get("/dashboard/live/events")
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    first = await next_event(resp)
    assert first["ids"] == [call_id] and "book a table" in first["transcripts"][call_id]
    seed.say_in_call(db, call_id, "assistant", "Which <b>day</b> suits you?")
    second = await next_event(resp)
    assert "Which &lt;b&gt;day&lt;/b&gt; suits you?" in second["transcripts"][call_id]
    resp.close()


async def test_events_need_a_session(client: TestClient) -> None:
    resp = await client.get("/dashboard/live/events", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard/sign-in"


async def test_commands_go_to_the_call(client: TestClient, db: Database, csrf: str,
                                       telephony: FakeTelephony) -> None:
    call_id = seed.seed_live_call(db)
    say = await client.post(f"/dashboard/calls/{call_id}/control", allow_redirects=False,
                            data={"csrf_token": csrf, "type": "say", "content": "One moment please", "end_after": "on"})
    assert say.status == 303 and say.headers["Location"] == f"/dashboard/live#call-{call_id}"
    await client.post(f"/dashboard/calls/{call_id}/control", allow_redirects=False,
                      data={"csrf_token": csrf, "type": "transfer", "destination": "+15550999", "message": ""})
    await client.post(f"/dashboard/calls/{call_id}/control", allow_redirects=False,
                      data={"csrf_token": csrf, "type": "end-call", "message": "Goodbye"})
    assert telephony.commands == [
        (call_id, {"type": "say", "content": "One moment please", "end_after": True}),
        (call_id, {"type": "transfer", "destination": "+15550999", "message": None}),
        (call_id, {"type": "end-call", "message": "Goodbye"}),
    ]


async def test_a_refused_command_is_explained_on_the_page(client: TestClient, db: Database, csrf: str,
                                                          telephony: FakeTelephony) -> None:
    call_id = seed.seed_live_call(db)
    bad = await client.post(f"/dashboard/calls/{call_id}/control",
                            data={"csrf_token": csrf, "type": "transfer", "destination": "desk 4"})
    text = await bad.text()
    assert bad.status == 400 and "(destination)" in text and 'role="alert"' in text
    over = seed.seed_calls(db, 1)[0]
    done = await client.post(f"/dashboard/calls/{over}/control",
                             data={"csrf_token": csrf, "type": "end-call"})
    assert done.status == 400 and "only active calls take commands" in await done.text()
    assert telephony.commands == []


async def test_commands_need_the_csrf_token_and_an_admin(client: TestClient, db: Database, csrf: str,
                                                         telephony: FakeTelephony) -> None:
    call_id = seed.seed_live_call(db)
    forged = await client.post(f"/dashboard/calls/{call_id}/control", data={"type": "end-call"})
    assert forged.status == 403
    client.session.cookie_jar.clear()
    key = generate_api_key()
    db.write_sync(lambda d: records.create_api_key(d, "viewer", key, "read"))
    await sign_in_by_key(client, key)
    page = await (await client.get("/dashboard/live")).text()
    assert call_id in page and ">End call</button>" not in page
    refused = await client.post(f"/dashboard/calls/{call_id}/control",
                                data={"csrf_token": csrf_of(page), "type": "end-call"})
    assert refused.status == 403
    assert telephony.commands == []


async def test_event_streams_end_when_the_server_shuts_down(client: TestClient, db: Database, csrf: str) -> None:
    seed.seed_live_call(db)
    resp = await client.get("/dashboard/live/events")
    await next_event(resp)
    await client.app.shutdown()  # what the runner does first when the server stops
    await asyncio.wait_for(resp.content.read(), 5)  # the stream ends, well before the runner's timeout
