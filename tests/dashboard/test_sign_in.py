"""Signing in to the dashboard by one-time link or API key, sessions, and CSRF protection."""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from api.dashboard import sessions
from tests.server import voicedock
from voicedock.config import Settings
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records
from voicedock.store.dashboard import SESSION_IDLE_SECONDS

from .conftest import login_link, sign_in_by_key


async def test_cli_link_signs_in_once_and_stores_only_a_hash(client: TestClient, settings: Settings,
                                                             db: Database) -> None:
    done = voicedock("dashboard", "link", "--base-url", "http://dash.example:8000", data_dir=settings.data_dir)
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith("http://dash.example:8000/dashboard/login?token=")
    token = url.split("token=", 1)[1]
    stored = db.read_sync(lambda d: [dict(r) for r in d.query("SELECT * FROM dashboard_links")])
    assert len(stored) == 1 and token not in str(stored)

    resp = await client.get(url.split("8000", 1)[1], allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard"
    cookie = resp.headers["Set-Cookie"]
    assert "vd_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure
    page = await client.get("/dashboard")
    assert page.status == 200 and "<h1>Calls</h1>" in await page.text()

    client.session.cookie_jar.clear()
    again = await client.get(url.split("8000", 1)[1], allow_redirects=False)
    assert again.status == 400 and "already used" in await again.text()
    assert "Set-Cookie" not in again.headers


async def test_expired_or_unknown_link_is_refused(client: TestClient, db: Database) -> None:
    for path in (login_link(db, age=601), "/dashboard/login?token=not-a-real-token", "/dashboard/login"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 400, path
        assert "Link not valid" in await resp.text()
        assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_pages_without_a_session_send_you_to_sign_in(client: TestClient) -> None:
    for path in ("/dashboard", "/dashboard/calls/call_x", "/dashboard/calls/call_x/recording"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/dashboard/sign-in", path


async def test_sign_in_with_an_api_key(client: TestClient, make_key: Callable[[str], str]) -> None:
    key = make_key("ops")
    resp = await sign_in_by_key(client, key)
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard"
    page = await client.get("/dashboard")
    text = await page.text()
    assert page.status == 200 and "Admin" in text and key not in text


async def test_a_wrong_or_revoked_key_is_refused(client: TestClient, db: Database,
                                                 make_key: Callable[[str], str]) -> None:
    wrong = await sign_in_by_key(client, generate_api_key())
    assert wrong.status == 401 and "not valid" in await wrong.text()
    key = make_key("old")
    key_id = db.read_sync(lambda d: records.list_api_keys(d)[0][0]["id"])
    db.write_sync(lambda d: records.revoke_api_key(d, key_id))
    revoked = await sign_in_by_key(client, key)
    assert revoked.status == 401
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_key_form_needs_its_csrf_token(client: TestClient, make_key: Callable[[str], str]) -> None:
    await client.get("/dashboard/sign-in")
    resp = await client.post("/dashboard/sign-in", data={"api_key": make_key("x")}, allow_redirects=False)
    assert resp.status == 403 and "expired" in await resp.text()
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_a_key_in_the_url_does_not_sign_in(client: TestClient, make_key: Callable[[str], str]) -> None:
    resp = await client.get(f"/dashboard/sign-in?api_key={make_key('x')}", allow_redirects=False)
    assert resp.status == 200
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_sign_out_needs_the_csrf_token_and_then_ends_the_session(
        client: TestClient, sign_in_by_link: Callable[[], Awaitable[str]]) -> None:
    csrf = await sign_in_by_link()
    no_token = await client.post("/dashboard/sign-out", allow_redirects=False)
    assert no_token.status == 403 and "Reload the page" in await no_token.text()
    wrong = await client.post("/dashboard/sign-out", data={"csrf_token": "0" * 64}, allow_redirects=False)
    assert wrong.status == 403
    foreign = await client.post("/dashboard/sign-out", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
                                allow_redirects=False)
    assert foreign.status == 403 and "another site" in await foreign.text()
    assert (await client.get("/dashboard")).status == 200  # none of those signed out

    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/dashboard"))["vd_session"].value
    out = await client.post("/dashboard/sign-out", headers={"X-CSRF-Token": csrf}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/dashboard/sign-in"
    client.session.cookie_jar.update_cookies({"vd_session": cookie})  # the old cookie, replayed
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_an_idle_session_expires(client: TestClient, db: Database,
                                       sign_in_by_link: Callable[[], Awaitable[str]]) -> None:
    await sign_in_by_link()
    stale = time.time() - SESSION_IDLE_SECONDS - 60
    db.write_sync(lambda d: d.execute("UPDATE dashboard_sessions SET last_seen_at = ?", [stale]))
    resp = await client.get("/dashboard", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/dashboard/sign-in"


async def test_revoking_the_key_ends_its_sessions(client: TestClient, db: Database,
                                                  make_key: Callable[[str], str]) -> None:
    await sign_in_by_key(client, make_key("temp"))
    assert (await client.get("/dashboard")).status == 200
    key_id = db.read_sync(lambda d: records.list_api_keys(d)[0][0]["id"])
    db.write_sync(lambda d: records.revoke_api_key(d, key_id))
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_tokens_cookies_and_keys_never_reach_the_log(
        client: TestClient, db: Database, make_key: Callable[[str], str], log_text: Callable[[], str],
        tmp_path: Path) -> None:
    link = login_link(db)
    await client.get(link)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/dashboard"))["vd_session"].value
    key = make_key("k")
    await sign_in_by_key(client, key)
    await client.get("/dashboard/calls/call_missing")
    # The server runs without an access log (ApiRunner); the test server's own one is left out here.
    text = "\n".join(line for line in log_text().splitlines() if "aiohttp.access" not in line)
    for secret in (link.split("=", 1)[1], cookie, key):
        assert secret not in text


def test_the_cookie_is_secure_over_tls() -> None:
    for tls, secure in ((ssl.create_default_context(), True), (None, False)):
        request = make_mocked_request("GET", "/dashboard/login", sslcontext=tls)
        response = web.Response()
        sessions.set_cookie(response, request, sessions.COOKIE, "t0ken", max_age=60)
        header = response.cookies[sessions.COOKIE].output()
        assert ("Secure" in header) is secure and "HttpOnly" in header and "SameSite=Strict" in header
