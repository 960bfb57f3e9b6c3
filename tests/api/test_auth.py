"""Bearer keys: hashed at rest, shown once, revocable."""

from __future__ import annotations

from typing import Any

from voicedock.store import Database, records

from .conftest import Api, assert_error


async def test_health_needs_no_key(api: Api) -> None:
    resp = await api.client.get("/api/v1/health")
    body = await resp.json()
    assert resp.status == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert isinstance(body["checks"]["database"]["latency_ms"], float)


async def test_missing_key_is_401(api: Api) -> None:
    resp = await api.client.get("/api/v1/assistants")
    assert_error(resp.status, await resp.json(), 401, "missing_api_key")


async def test_malformed_and_unknown_keys_are_401(api: Api) -> None:
    for header in ("Basic abc", "Bearer", "Bearer vd_live_doesnotexist", "Bearer sk_other"):
        resp = await api.client.get("/api/v1/assistants", headers={"Authorization": header})
        assert_error(resp.status, await resp.json(), 401, "invalid_api_key")


async def test_created_key_is_shown_once_and_works(api: Api, db: Database) -> None:
    status, body, _ = await api.call("POST", "/api-keys", {"name": "ci"})
    assert status == 201
    key = body["api_key"]["key"]
    assert key.startswith("vd_live_") and len(key) > 40
    status, listing, _ = await api.call("GET", "/api-keys")
    assert status == 200
    assert all("key" not in k and "key_hash" not in k for k in listing["api_keys"])
    assert body["api_key"]["id"] in {k["id"] for k in listing["api_keys"]}
    status, _, _ = await api.call("GET", "/assistants", key=key)
    assert status == 200
    stored = db.read_sync(lambda d: [list(r.values()) for r in d.query("SELECT * FROM api_keys")])
    assert not any(key in str(v) for row in stored for v in row), "the full key must not be stored"


async def test_revoked_key_answers_api_key_revoked(api: Api, make_key: Any) -> None:
    other = make_key("to-revoke")
    status, body, _ = await api.call("GET", "/api-keys")
    victim = next(k for k in body["api_keys"] if k["name"] == "to-revoke")
    status, _, _ = await api.call("GET", "/assistants", key=other)
    assert status == 200
    status, body, _ = await api.call("DELETE", f"/api-keys/{victim['id']}")
    assert status == 200 and body["api_key"]["revoked_at"]
    status, body, _ = await api.call("GET", "/assistants", key=other)
    assert_error(status, body, 401, "api_key_revoked")


async def test_key_revoked_elsewhere_stops_working(api: Api, make_key: Any, db: Database) -> None:
    other = make_key("cli-revoked")
    key_id = db.read_sync(lambda d: next(d.query("SELECT id FROM api_keys WHERE name = 'cli-revoked'"))["id"])
    db.write_sync(lambda d: records.revoke_api_key(d, key_id))
    status, body, _ = await api.call("GET", "/assistants", key=other)
    assert_error(status, body, 401, "api_key_revoked")


async def test_revoking_unknown_key_is_404(api: Api) -> None:
    status, body, _ = await api.call("DELETE", "/api-keys/key_nope")
    assert_error(status, body, 404, "resource_not_found")
