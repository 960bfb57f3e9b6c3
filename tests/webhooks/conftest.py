from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store_backends import open_test_database
from voicedock.secrets import SecretBox
from voicedock.store import Database
from voicedock.webhooks import DeliveryWorker, RetryPolicy

from .helpers import Receiver

FAST = RetryPolicy(schedule=(0.05, 0.1, 0.15), jitter=0.0)


@pytest.fixture
def db(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    database = open_test_database(backend, tmp_path / "vd.db", request)
    yield database
    database.close()


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox(tmp_path / "secret.key")


@pytest.fixture
def make_receiver(aiohttp_server: Any) -> Callable[..., Any]:
    async def make(secret: str | None = "whsec_test") -> tuple[Receiver, Any]:
        receiver = Receiver(secret=secret)
        server = await aiohttp_server(receiver.app())
        return receiver, server

    return make


@pytest.fixture
async def make_worker(db: Database, box: SecretBox) -> AsyncIterator[Callable[..., Any]]:
    workers: list[DeliveryWorker] = []

    async def make(**options: Any) -> DeliveryWorker:
        options.setdefault("policy", FAST)
        options.setdefault("poll_interval", 0.02)
        worker = DeliveryWorker(db, box, **options)
        await worker.start()
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.aclose()
