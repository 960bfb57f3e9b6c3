"""An API client against a real store: a SQLite file in a temporary data directory, or (for modules that
ask for `backend` on both) a PostgreSQL database of its own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from api.app import create_app
from tests.store_backends import open_test_database
from voicedock.config import Settings
from voicedock.secrets import generate_api_key
from voicedock.store import Database, records


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", telephony=False)


@pytest.fixture
def db(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = open_test_database(backend, settings.database_path, request)
    yield database
    database.close()


@pytest.fixture
def make_key(db: Database) -> Callable[[str], str]:
    def make(name: str = "test") -> str:
        key = generate_api_key()
        db.write_sync(lambda d: records.create_api_key(d, name, key))
        return key

    return make


@pytest.fixture
def api_key(make_key: Callable[[str], str]) -> str:
    return make_key("test")


class Api:
    """A thin helper: requests with the bearer key, JSON decoded, status asserted by the caller."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.key = key

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    async def call(self, method: str, path: str, json: Any = None, key: str | None = None,
                   **kwargs: Any) -> tuple[int, Any, Any]:
        resp = await self.client.request(method, "/api/v1" + path, json=json, headers=self.headers(key), **kwargs)
        body = await resp.json() if resp.content_type == "application/json" else await resp.read()
        return resp.status, body, resp.headers


@pytest.fixture
async def make_client(aiohttp_client: Any, db: Database, settings: Settings) -> Callable[..., Any]:
    async def make(telephony_service: Any = None, webhook_worker: Any = None, **overrides: Any) -> TestClient:
        app = create_app(replace(settings, **overrides), db=db, telephony_service=telephony_service,
                         webhook_worker=webhook_worker)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def api(make_client: Callable[..., Any], api_key: str) -> AsyncIterator[Api]:
    yield Api(await make_client(), api_key)


@pytest.fixture
def log_text(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    caplog.set_level(logging.DEBUG)
    return lambda: "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


def assert_error(status: int, body: Any, want_status: int, code: str | None = None, param: Any = ...) -> None:
    assert status == want_status, body
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "param", "type"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    if param is not ...:
        assert body["error"]["param"] == param, body
