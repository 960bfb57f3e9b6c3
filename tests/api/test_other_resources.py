"""Templates, usage, account and BYOK."""

from __future__ import annotations

from typing import Any

from voicedock.store import Database
from voicedock.store import calls as store_calls

from .conftest import Api, assert_error

TOOL = {"type": "function", "name": "lookup_order", "parameters": {"type": "object"}}


async def test_tool_templates_crud(api: Api) -> None:
    status, body, _ = await api.call("POST", "/tool-templates", {"name": "Order lookup", "tool": TOOL})
    assert status == 201, body
    tid = body["tool_template"]["id"]
    assert body["tool_template"]["tool"]["name"] == "lookup_order"
    status, body, _ = await api.call("PATCH", f"/tool-templates/{tid}", {"description": "Finds orders"})
    assert status == 200 and body["tool_template"]["description"] == "Finds orders"
    assert body["tool_template"]["tool"]["name"] == "lookup_order"
    _, body, _ = await api.call("GET", "/tool-templates")
    assert body["pagination"]["total"] == 1
    status, body, _ = await api.call("POST", "/tool-templates", {"name": "Bad", "tool": {"type": "function"}})
    assert_error(status, body, 400, "invalid_request", "tool.name")
    assert (await api.call("DELETE", f"/tool-templates/{tid}"))[0] == 200
    assert (await api.call("GET", f"/tool-templates/{tid}"))[0] == 404


async def test_analysis_templates_crud(api: Api) -> None:
    plan = {"structured_data_plan": {"enabled": True, "schema": {"type": "object"}}}
    status, body, _ = await api.call("POST", "/analysis-templates", {"name": "Sentiment", "analysis_plan": plan})
    assert status == 201, body
    aid = body["analysis_template"]["id"]
    status, body, _ = await api.call("GET", f"/analysis-templates/{aid}")
    assert body["analysis_template"]["analysis_plan"]["structured_data_plan"]["enabled"] is True


async def test_usage_and_account(api: Api, db: Database) -> None:
    def seed(d):  # type: ignore[no-untyped-def]
        call = store_calls.create_call(d, type="inbound_phone_call", status="ended")
        store_calls.record_usage(d, call["id"], None, 90.0, 0.03)
        store_calls.record_usage(d, call["id"], None, 30.0, 0.01)
        store_calls.create_call(d, type="inbound_phone_call", status="in-progress")

    db.write_sync(seed)
    status, body, _ = await api.call("GET", "/usage")
    assert status == 200
    assert len(body["usage"]) == 2
    assert body["summary"] == {"total_seconds": 120.0, "total_minutes": 2.0, "total_cost": 0.04}
    _, body, _ = await api.call("GET", "/usage?start_date=2100-01-01T00:00:00Z")
    assert body["usage"] == [] and body["summary"]["total_seconds"] == 0
    status, body, _ = await api.call("GET", "/usage?start_date=soon")
    assert_error(status, body, 400, "invalid_request", "start_date")
    status, account, _ = await api.call("GET", "/account")
    assert status == 200
    assert account["id"].startswith("acct_")
    assert account["active_calls"] == 1 and account["monthly_usage_minutes"] == 2.0


async def test_byok_keys_are_never_returned(api: Api, db: Database) -> None:
    secret = "sk-live-abcdefghijklmnop1234"
    status, body, _ = await api.call("POST", "/byok", {"provider": "openai", "api_key": secret,
                                                       "base_url": "http://127.0.0.1:8080/v1"})
    assert status == 201
    assert body["byok_keys"]["openai"] == {"configured": True, "last4": "1234",
                                           "base_url": "http://127.0.0.1:8080/v1"}
    assert body["byok_keys"]["deepgram"]["configured"] is False
    _, listing, _ = await api.call("GET", "/byok")
    _, config, _ = await api.call("GET", "/byok/config")
    for reply in (body, listing, config):
        assert secret not in str(reply)
    assert {p["provider"]: p["category"] for p in config["providers"]} == {
        "openai": "llm", "deepgram": "stt", "elevenlabs": "tts", "resend": "email"}
    stored = db.read_sync(lambda d: str(list(d.query("SELECT * FROM byok_keys"))))
    assert secret not in stored
    status, body, _ = await api.call("DELETE", "/byok?provider=openai")
    assert status == 200 and body["byok_keys"]["openai"]["configured"] is False
    status, body, _ = await api.call("DELETE", "/byok?provider=openai")
    assert_error(status, body, 404)
    status, body, _ = await api.call("POST", "/byok", {"provider": "acme", "api_key": "12345678"})
    assert_error(status, body, 400, "invalid_request", "provider")


async def test_secrets_never_reach_the_logs(api: Api, log_text: Any) -> None:
    secrets = {"webhook": "whsec-supplied-by-customer-0001", "byok": "sk-byok-secret-value-0002",
               "trunk": "trunk-password-0003"}
    await api.call("POST", "/assistants", {"system_prompt": "x", "webhook_secret": secrets["webhook"],
                                           "webhook_url": "https://example.com/h"})
    await api.call("POST", "/byok", {"provider": "deepgram", "api_key": secrets["byok"]})
    await api.call("POST", "/sip-trunks", {"name": "t", "host": "h", "password": secrets["trunk"]})
    await api.call("POST", "/assistants", {"system_prompt": 5, "webhook_secret": secrets["webhook"]})
    await api.call("GET", "/assistants", key="vd_live_wrong-key-0004")
    text = log_text()
    for value in [*secrets.values(), api.key, "vd_live_wrong-key-0004"]:
        assert value not in text


async def test_metrics_are_served_in_prometheus_format(db: Database, settings: Any) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from api.app import create_app
    from voicedock.metrics import Metrics

    metrics = Metrics()
    metrics.observe_turn({"stt_ms": 250.0, "total_ms": 900.0, "llm_ttft_ms": "bad"})
    client = TestClient(TestServer(create_app(settings, db=db, metrics=metrics)))
    await client.start_server()
    try:
        resp = await client.get("/metrics")
        text = await resp.text()
    finally:
        await client.close()
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
    assert 'voicedock_turn_latency_seconds_count{stage="stt"} 1.0' in text
    assert 'voicedock_turn_latency_seconds_sum{stage="total"} 0.9' in text
    assert 'stage="llm_ttft"' not in text, "a value that is not a number is not observed"
