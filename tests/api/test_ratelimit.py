"""100 requests a minute per key and 10 control commands a minute per call, with headers."""

from __future__ import annotations

import time
from typing import Any

from api.ratelimit import RateLimiter
from voicedock.store import Database
from voicedock.store import calls as store_calls

from .conftest import Api, assert_error
from .fakes import FakeTelephony


async def test_every_authenticated_response_has_rate_headers(api: Api) -> None:
    for method, path, body in (("GET", "/assistants", None), ("GET", "/assistants/asst_nope", None),
                               ("POST", "/assistants", {}), ("GET", "/account", None)):
        status, _, headers = await api.call(method, path, body)
        assert headers["X-RateLimit-Limit"] == "100", (status, path)
        assert int(headers["X-RateLimit-Remaining"]) <= 99
        assert int(headers["X-RateLimit-Reset"]) >= int(time.time())


async def test_the_101st_request_is_429_with_retry_after(api: Api) -> None:
    remaining = []
    for _ in range(100):
        status, _, headers = await api.call("GET", "/account")
        assert status == 200
        remaining.append(int(headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(99, -1, -1))
    status, body, headers = await api.call("GET", "/account")
    assert_error(status, body, 429, "rate_limit_exceeded")
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert headers["X-RateLimit-Remaining"] == "0"


async def test_limits_are_per_key_and_configurable(make_client: Any, make_key: Any) -> None:
    client = await make_client(rate_limit_per_minute=3)
    first, second = Api(client, make_key("a")), Api(client, make_key("b"))
    for _ in range(3):
        assert (await first.call("GET", "/account"))[0] == 200
    assert (await first.call("GET", "/account"))[0] == 429
    status, _, headers = await second.call("GET", "/account")
    assert status == 200 and headers["X-RateLimit-Limit"] == "3"


async def test_control_commands_are_limited_per_call(make_client: Any, api_key: str, db: Database) -> None:
    telephony = FakeTelephony(db)
    api = Api(await make_client(telephony_service=telephony), api_key)
    live = db.write_sync(lambda d: store_calls.create_call(d, type="inbound_phone_call", status="in-progress"))
    other = db.write_sync(lambda d: store_calls.create_call(d, type="inbound_phone_call", status="in-progress"))
    for i in range(10):
        status, body, _ = await api.call("POST", f"/calls/{live['id']}/control", {"type": "say", "content": f"n{i}"})
        assert status == 200 and body["success"] is True
    status, body, headers = await api.call("POST", f"/calls/{live['id']}/control", {"type": "say", "content": "x"})
    assert_error(status, body, 429, "rate_limit_exceeded")
    assert int(headers["Retry-After"]) >= 1
    assert len(telephony.commands) == 10
    status, _, _ = await api.call("POST", f"/calls/{other['id']}/control", {"type": "end-call"})
    assert status == 200


def test_window_resets_after_a_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit("k").allowed and limiter.hit("k").allowed
    denied = limiter.hit("k")
    assert not denied.allowed and denied.retry_after == 60 and denied.reset == 1060
    now[0] = 1059.5
    assert not limiter.hit("k").allowed
    now[0] = 1060.0
    fresh = limiter.hit("k")
    assert fresh.allowed and fresh.remaining == 1
