"""The call list and a call's page, as an operator signed in to the dashboard sees them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from voicedock.config import Settings
from voicedock.store import Database
from voicedock.webhooks import list_deliveries

from . import seed
from .conftest import csrf_of, sign_in_by_key

ROW = re.compile(r'<tr>\s*<td><a href="/dashboard/calls/([^"]+)">')


@pytest.fixture
async def signed_in(client: TestClient, sign_in_by_link: Callable[[], Awaitable[str]]) -> TestClient:
    await sign_in_by_link()
    return client


async def listed(client: TestClient, query: str = "") -> tuple[list[str], str]:
    resp = await client.get("/dashboard" + query)
    assert resp.status == 200
    text = await resp.text()
    return ROW.findall(text), text


async def test_calls_are_listed_newest_first_with_their_facts(signed_in: TestClient, db: Database,
                                                              settings: Settings) -> None:
    assistant = seed.seed_assistant(db)
    older = seed.seed_calls(db, 3, assistant)  # a minute, two and three before START
    newest = seed.seed_full_call(db, settings.data_dir, assistant)
    ids, text = await listed(signed_in)
    assert ids == [newest, *older]
    row = text[text.index(newest):text.index(older[0])]
    for shown in ("inbound", "+15550111", "+15550100", "ended", "customer-ended-call", "0:24", "0.0400"):
        assert shown in row, shown
    assert "4 calls" in text


async def test_filters_by_status_assistant_and_date(signed_in: TestClient, db: Database) -> None:
    a, b = seed.seed_assistant(db, "Sales"), seed.seed_assistant(db, "Support")
    sales = seed.seed_calls(db, 2, a)
    failed = seed.seed_calls(db, 1, b, status="failed")
    earlier = seed.seed_calls(db, 1, b, start=seed.START.replace(day=10))
    assert (await listed(signed_in, "?status=failed"))[0] == failed
    assert (await listed(signed_in, f"?assistant_id={a}"))[0] == sales
    assert (await listed(signed_in, "?from=2026-11-09&to=2026-11-10"))[0] == earlier
    assert set((await listed(signed_in, "?from=2026-11-20"))[0]) == {*sales, *failed}
    ids, text = await listed(signed_in, "?from=yesterday")
    assert len(ids) == 4 and "was not understood" in text
    bad = await signed_in.get("/dashboard?status=bogus")
    assert bad.status == 400


async def test_pages_of_fifty(signed_in: TestClient, db: Database) -> None:
    ids = seed.seed_calls(db, 120)
    first, text = await listed(signed_in)
    assert first == ids[:50] and "page 1 of 3" in text and 'rel="next"' in text and 'rel="prev"' not in text
    third, text = await listed(signed_in, "?page=3")
    assert third == ids[100:] and 'rel="prev"' in text and 'rel="next"' not in text


async def test_a_call_page_shows_transcript_tools_chart_analysis_and_deliveries(
        signed_in: TestClient, db: Database, settings: Settings) -> None:
    call_id = seed.seed_full_call(db, settings.data_dir, seed.seed_assistant(db))
    resp = await signed_in.get(f"/dashboard/calls/{call_id}")
    assert resp.status == 200
    text = await resp.text()
    order = [text.index(s) for s in ("Hello, this is Acme support", "a table for two tomorrow at seven",
                                     "book_table(", "Booked: a table for two", "Thank you, bye.")]
    assert order == sorted(order), "tool call must sit right after the caller turn that asked for it"
    assert "{&#34;party_size&#34;: 2, &#34;time&#34;: &#34;19:00&#34;}" in text
    assert "confirmed #A17" in text and "0.42 s" in text
    assert "interrupted by the caller" in text
    assert '<time class="at" datetime="2026-11-20T09:30:04.000Z"' in text and ">0:04<" in text
    assert f'<audio id="recording" controls preload="metadata" src="/dashboard/calls/{call_id}/recording">' in text
    assert len(re.findall(r'<rect class="seg-', text)) == 10  # 4 + 4 stages, then 2 measured in the abandoned turn
    assert "abandoned: hangup" in text
    assert "The caller booked a table for two" in text and "&#34;booked&#34;: true" in text
    assert "end-of-call-report" in text and seed.HOOK in text and ">Retry</button>" in text


async def test_the_recording_is_the_api_file(signed_in: TestClient, db: Database, settings: Settings) -> None:
    call_id = seed.seed_full_call(db, settings.data_dir, seed.seed_assistant(db))
    resp = await signed_in.get(f"/dashboard/calls/{call_id}/recording")
    assert resp.status == 200 and resp.content_type == "audio/wav"
    assert await resp.read() == (settings.data_dir / "recordings" / f"{call_id}.wav").read_bytes()


async def test_an_unknown_call_is_a_404_page(signed_in: TestClient) -> None:
    resp = await signed_in.get("/dashboard/calls/call_nope")
    assert resp.status == 404 and resp.content_type == "text/html"
    assert "call_nope" in await resp.text()


async def test_retry_queues_the_delivery_again(signed_in: TestClient, db: Database, settings: Settings) -> None:
    call_id = seed.seed_full_call(db, settings.data_dir, seed.seed_assistant(db))
    page = await signed_in.get(f"/dashboard/calls/{call_id}")
    csrf = csrf_of(await page.text())
    [delivery] = db.read_sync(lambda d: list_deliveries(d, call_id=call_id))[0]
    resp = await signed_in.post(f"/dashboard/deliveries/{delivery['id']}/retry?call={call_id}",
                                data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/dashboard/calls/{call_id}#deliveries"
    [after] = db.read_sync(lambda d: list_deliveries(d, call_id=call_id))[0]
    assert after["status"] == "pending"


async def test_a_read_only_key_may_look_but_not_retry(client: TestClient, db: Database, settings: Settings) -> None:
    from voicedock.secrets import generate_api_key
    from voicedock.store import records

    key = generate_api_key()
    db.write_sync(lambda d: records.create_api_key(d, "viewer", key, "read"))
    call_id = seed.seed_full_call(db, settings.data_dir, seed.seed_assistant(db))
    assert (await sign_in_by_key(client, key)).status == 303
    page = await client.get(f"/dashboard/calls/{call_id}")
    text = await page.text()
    assert page.status == 200 and "Read only" in text and ">Retry</button>" not in text
    [delivery] = db.read_sync(lambda d: list_deliveries(d, call_id=call_id))[0]
    resp = await client.post(f"/dashboard/deliveries/{delivery['id']}/retry", data={"csrf_token": csrf_of(text)})
    assert resp.status == 403 and "read-only" in await resp.text()
    assert db.read_sync(lambda d: list_deliveries(d, call_id=call_id))[0][0]["status"] == "failed"


async def test_pages_carry_a_language_and_a_strict_content_policy(signed_in: TestClient) -> None:
    resp = await signed_in.get("/dashboard")
    assert '<html lang="en">' in await resp.text()
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Cache-Control"] == "no-store"


async def test_styles_and_script_come_from_this_server(signed_in: TestClient) -> None:
    text = await (await signed_in.get("/dashboard")).text()
    for pattern, kind in ((r'<link rel="stylesheet" href="([^"]+)"', "text/css"), (r'<script src="([^"]+)"', "javascript")):
        found = re.search(pattern, text)
        assert found and found.group(1).startswith("/dashboard/static/") and "?v=" in found.group(1)
        asset = await signed_in.get(found.group(1))
        assert asset.status == 200 and kind in asset.content_type
