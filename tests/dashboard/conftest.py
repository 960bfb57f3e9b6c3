"""A dashboard client on a real SQLite file, and signing in the way a browser does."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.api.conftest import db, log_text, make_client, make_key, settings  # noqa: F401  (shared fixtures)
from tests.api.fakes import FakeTelephony
from voicedock.store import Database
from voicedock.store.dashboard import create_login_link, new_token, token_hash

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login_link(db: Database, age: float = 0.0) -> str:  # noqa: F811
    """The path of a fresh login link, as `voicedock dashboard link` makes one, made `age` seconds ago."""
    token = new_token()
    db.write_sync(lambda d: create_login_link(d, token_hash(token), time.time() - age))
    return f"/dashboard/login?token={token}"


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[TestClient]]) -> TestClient:  # noqa: F811
    return await make_client()


@pytest.fixture
def telephony(db: Database) -> FakeTelephony:  # noqa: F811
    """A telephony side that records what was asked of it; a test module hands it to its `client`."""
    return FakeTelephony(db)


@pytest.fixture
def sign_in_by_link(client: TestClient, db: Database) -> Callable[[], Awaitable[str]]:  # noqa: F811
    """Sign `client` in by a login link; returns the CSRF token of its new session."""
    async def sign_in() -> str:
        resp = await client.get(login_link(db), allow_redirects=False)
        assert resp.status == 303, await resp.text()
        page = await client.get("/dashboard")
        assert page.status == 200
        return csrf_of(await page.text())

    return sign_in


async def sign_in_by_key(client: TestClient, key: str) -> Any:
    """Fill in and send the sign-in form; the response to the POST (not followed)."""
    form = await client.get("/dashboard/sign-in")
    token = csrf_of(await form.text())
    return await client.post("/dashboard/sign-in", data={"csrf_token": token, "api_key": key}, allow_redirects=False)
