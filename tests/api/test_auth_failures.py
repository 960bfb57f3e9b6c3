"""Failed authentication is limited per client address and costs no repeated database reads."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import KeyCache
from api.errors import ApiError
from api.ratelimit import RateLimiter
from voicedock.store import Database

from .conftest import assert_error


async def test_an_address_is_429_after_too_many_failures_while_cached_keys_still_work(
        make_client: Any, api_key: str) -> None:
    client = await make_client(auth_failures_per_minute=3)
    good = {"Authorization": f"Bearer {api_key}"}
    assert (await client.get("/api/v1/account", headers=good)).status == 200
    for n in range(3):
        resp = await client.get("/api/v1/account", headers={"Authorization": f"Bearer vd_live_wrong{n}"})
        assert resp.status == 401
    for headers in ({"Authorization": "Bearer vd_live_wrong9"}, {}):
        resp = await client.get("/api/v1/account", headers=headers)
        assert_error(resp.status, await resp.json(), 429, "rate_limit_exceeded")
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert (await client.get("/api/v1/account", headers=good)).status == 200


class CountingDb:
    """The real database, counting the reads that reach it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.reads = 0

    async def read(self, fn: Any) -> Any:
        self.reads += 1
        return await self.db.read(fn)


async def test_an_unknown_key_is_read_from_the_database_once(db: Database) -> None:
    counting = CountingDb(db)
    keys = KeyCache(counting)  # type: ignore[arg-type]
    for _ in range(20):
        with pytest.raises(ApiError) as err:
            await keys.authenticate("Bearer vd_live_nope", "10.0.0.1")
        assert err.value.status == 401
    assert counting.reads == 1


async def test_a_blocked_address_causes_no_database_reads(db: Database) -> None:
    counting = CountingDb(db)
    keys = KeyCache(counting, failures=RateLimiter(2))  # type: ignore[arg-type]
    statuses = []
    for n in range(10):
        with pytest.raises(ApiError) as err:
            await keys.authenticate(f"Bearer vd_live_guess{n}", "10.0.0.2")
        statuses.append(err.value.status)
    assert statuses == [401, 401] + [429] * 8
    assert counting.reads == 2
    with pytest.raises(ApiError) as err:  # another address is not affected
        await keys.authenticate("Bearer vd_live_other", "10.0.0.3")
    assert err.value.status == 401
