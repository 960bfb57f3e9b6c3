"""`/health` while the node drains: 503, so a load balancer stops sending it new work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.app import create_app
from voicedock.config import Settings
from voicedock.draining import Drain
from voicedock.store import Database


async def test_health_answers_503_draining_once_the_drain_starts(aiohttp_client: Any, db: Database,
                                                                  settings: Settings, tmp_path: Path) -> None:
    drain = Drain()
    client = await aiohttp_client(create_app(settings, db=db, drain=drain))
    resp = await client.get("/api/v1/health")
    assert resp.status == 200 and (await resp.json())["status"] == "ok"

    drain.begin(120.0)
    resp = await client.get("/api/v1/health")
    body = await resp.json()
    assert resp.status == 503
    assert body["status"] == "draining" and 0 < body["checks"]["drain"]["seconds_left"] <= 120
    assert body["checks"]["database"]["status"] == "ok"
