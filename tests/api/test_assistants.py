"""Assistant CRUD: defaults, PATCH merging, the write-only webhook secret."""

from __future__ import annotations

import pytest

from voicedock.store import Database

from .conftest import Api, assert_error


@pytest.fixture
def backend(both_backends: str) -> str:
    """These API tests run on SQLite and on PostgreSQL."""
    return both_backends

BASE = {"name": "Receptionist", "system_prompt": "Answer the phone politely."}


async def create(api: Api, **fields: object) -> dict:
    status, body, _ = await api.call("POST", "/assistants", {**BASE, **fields})
    assert status == 201, body
    return body["assistant"]


async def test_defaults_are_filled_in(api: Api) -> None:
    a = await create(api)
    assert a["first_message_mode"] == "assistant-speaks-first"
    assert a["language"] == "en" and a["is_active"] is True
    assert a["max_duration_seconds"] == 300 and a["silence_timeout_seconds"] == 8
    assert a["recording_enabled"] is True and a["gdpr_mode"] is False
    assert a["llm_config"]["provider"] == "local" and a["llm_config"]["tools"] == []
    assert a["start_speaking_plan"] == {"wait_seconds": 0.4}
    assert a["created_at"].endswith("Z") and a["updated_at"] == a["created_at"]


async def test_name_defaults_to_untitled(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201 and body["assistant"]["name"] == "Untitled assistant"


async def test_get_list_update_delete(api: Api) -> None:
    a = await create(api)
    status, body, _ = await api.call("GET", f"/assistants/{a['id']}")
    assert status == 200 and body["assistant"]["name"] == "Receptionist"
    status, body, _ = await api.call("PATCH", f"/assistants/{a['id']}",
                                     {"name": "Night desk", "llm_config": {"temperature": 0.2}})
    assert status == 200
    updated = body["assistant"]
    assert updated["name"] == "Night desk"
    assert updated["llm_config"]["temperature"] == 0.2
    assert updated["llm_config"]["max_tokens"] == 150, "PATCH keeps sibling nested fields"
    assert updated["system_prompt"] == BASE["system_prompt"]
    assert updated["updated_at"] >= a["updated_at"]
    status, body, _ = await api.call("GET", "/assistants")
    assert [x["name"] for x in body["assistants"]] == ["Night desk"]
    assert body["pagination"] == {"total": 1, "limit": 50, "offset": 0}
    status, body, _ = await api.call("DELETE", f"/assistants/{a['id']}")
    assert status == 200 and body == {"id": a["id"], "deleted": True}
    status, body, _ = await api.call("GET", f"/assistants/{a['id']}")
    assert_error(status, body, 404, "resource_not_found")


async def test_patch_cannot_remove_required_prompt(api: Api) -> None:
    a = await create(api)
    status, body, _ = await api.call("PATCH", f"/assistants/{a['id']}", {"system_prompt": None})
    assert_error(status, body, 400, "invalid_request", "system_prompt")
    status, body, _ = await api.call("PATCH", f"/assistants/{a['id']}", {"max_duration_seconds": 5})
    assert_error(status, body, 400, "invalid_request", "max_duration_seconds")
    status, body, _ = await api.call("GET", f"/assistants/{a['id']}")
    assert body["assistant"]["system_prompt"] == BASE["system_prompt"], "a rejected PATCH changes nothing"


async def test_pagination(api: Api) -> None:
    for i in range(5):
        await create(api, name=f"a{i}")
    status, body, _ = await api.call("GET", "/assistants?limit=2&offset=1")
    assert status == 200
    assert [a["name"] for a in body["assistants"]] == ["a3", "a2"]
    assert body["pagination"] == {"total": 5, "limit": 2, "offset": 1}
    status, body, _ = await api.call("GET", "/assistants?limit=0")
    assert_error(status, body, 400, "invalid_request", "limit")


async def test_generated_webhook_secret_is_shown_once(api: Api, db: Database) -> None:
    a = await create(api, webhook_url="https://example.com/hook")
    secret = a["webhook_secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    _, got, _ = await api.call("GET", f"/assistants/{a['id']}")
    _, listing, _ = await api.call("GET", "/assistants")
    _, patched, _ = await api.call("PATCH", f"/assistants/{a['id']}", {"name": "renamed"})
    for body in (got, listing, patched):
        assert secret not in str(body) and "webhook_secret" not in str(body)
    stored = db.read_sync(lambda d: str(list(d.query("SELECT * FROM assistants"))))
    assert secret not in stored, "the secret is encrypted at rest"


async def test_supplied_webhook_secret_is_never_echoed(api: Api) -> None:
    secret = "my-own-secret-value-123"
    a = await create(api, webhook_secret=secret)
    assert "webhook_secret" not in a and secret not in str(a)


async def test_tools_and_plans_round_trip(api: Api) -> None:
    tools = [
        {"type": "function", "name": "book", "description": "Book a slot", "async": False,
         "url": "https://example.com/tools",
         "parameters": {"type": "object", "properties": {"when": {"type": "string"}}, "required": ["when"]}},
        {"type": "end_call"},
        {"type": "transfer_call", "destinations": [{"type": "number", "number": "+31201234567",
                                                    "description": "Front desk"}]},
    ]
    plan = {"summary_prompt": "Summarise.", "structured_data_plan": {
        "enabled": True, "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}},
        "success_evaluation_plan": {"enabled": True, "rubric": "pass-fail"}}
    a = await create(api, llm_config={"tools": tools}, analysis_plan=plan,
                     stop_speaking_plan={"num_words": 2, "voice_seconds": 0.3})
    assert [t["type"] for t in a["llm_config"]["tools"]] == ["function", "end_call", "transfer_call"]
    assert a["llm_config"]["tools"][0]["async"] is False
    assert a["analysis_plan"]["structured_data_plan"]["schema"]["properties"]["ok"] == {"type": "boolean"}
    assert a["stop_speaking_plan"] == {"num_words": 2, "voice_seconds": 0.3}


async def test_invalid_webhook_url_is_rejected(api: Api) -> None:
    for url in ("ftp://example.com", "javascript:alert(1)", "example.com/hook"):
        status, body, _ = await api.call("POST", "/assistants", {**BASE, "webhook_url": url})
        assert_error(status, body, 400, "invalid_request", "webhook_url")


async def test_assistant_in_use_cannot_be_deleted(api: Api) -> None:
    a = await create(api)
    status, _, _ = await api.call("POST", "/numbers", {"phone_number": "+15550100", "assistant_id": a["id"]})
    assert status == 201
    status, body, _ = await api.call("DELETE", f"/assistants/{a['id']}")
    assert_error(status, body, 409, "conflict")
    assert "+15550100" in body["error"]["message"]
