"""The seed documentation's own examples work verbatim."""

from __future__ import annotations

import json

from .conftest import Api

QUICK_START_BODY = """{
    "name": "Customer Support Assistant",
    "system_prompt": "You are a helpful customer support assistant. Be friendly and professional."
  }"""
SEED_ERROR = {"error": {"code": "invalid_request", "message": "Missing required field: system_prompt",
                        "param": "system_prompt", "type": "validation_error"}}


async def _post_raw(api: Api, path: str, raw: str) -> tuple[int, dict]:
    resp = await api.client.post("/api/v1" + path, data=raw,
                                 headers={**api.headers(), "Content-Type": "application/json"})
    return resp.status, await resp.json()


async def test_quick_start_create_assistant_verbatim(api: Api) -> None:
    status, body = await _post_raw(api, "/assistants", QUICK_START_BODY)
    assert status == 201, body
    assistant = body["assistant"]
    assert assistant["id"].startswith("asst_")
    assert assistant["name"] == "Customer Support Assistant"
    assert assistant["system_prompt"].startswith("You are a helpful customer support assistant.")


async def test_register_number_body_from_the_seed(api: Api) -> None:
    _, created = await _post_raw(api, "/assistants", QUICK_START_BODY)
    seed_body = {"number": "+31201234567", "assistant_id": created["assistant"]["id"]}
    status, body = await _post_raw(api, "/numbers", json.dumps(seed_body))
    assert status == 201, body
    assert body["number"]["phone_number"] == "+31201234567"
    assert body["number"]["assistant_id"] == created["assistant"]["id"]
    assert body["number"]["id"].startswith("num_")


async def test_webhook_settings_example_applies_with_patch(api: Api) -> None:
    _, created = await _post_raw(api, "/assistants", QUICK_START_BODY)
    ident = created["assistant"]["id"]
    example = '{"webhook_url": "https://your-domain.com/webhook", "webhook_events": ["tool-calls", "end-of-call-report"]}'
    resp = await api.client.patch(f"/api/v1/assistants/{ident}", data=example,
                                  headers={**api.headers(), "Content-Type": "application/json"})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["assistant"]["webhook_url"] == "https://your-domain.com/webhook"
    assert body["assistant"]["webhook_events"] == ["tool-calls", "end-of-call-report"]
    assert body["assistant"]["name"] == "Customer Support Assistant"


async def test_error_example_is_returned_exactly(api: Api) -> None:
    status, body = await _post_raw(api, "/assistants", '{"name": "No prompt"}')
    assert status == 400
    assert body == SEED_ERROR


async def test_seed_top_level_tools_are_the_llm_tools(api: Api) -> None:
    tool = {"type": "function", "name": "check_availability", "description": "Check free slots",
            "parameters": {"type": "object", "properties": {"date": {"type": "string"}}}}
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "Book things.", "tools": [tool]})
    assert status == 201, body
    assert body["assistant"]["llm_config"]["tools"][0]["name"] == "check_availability"
    assert body["assistant"]["tools"][0]["name"] == "check_availability"
