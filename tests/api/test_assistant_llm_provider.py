"""`llm_config.provider: "openai"` is accepted only once a BYOK `openai` key exists, so no assistant
is saved that every call would answer with an apology; `GET /byok/config` says what it needs."""

from __future__ import annotations

from .conftest import Api, assert_error

OPENAI = {"system_prompt": "x", "llm_config": {"provider": "openai", "model": "llama-3.1-8b",
                                               "url": "http://10.0.0.5:8080/v1"}}


async def test_an_openai_llm_without_a_byok_key_is_refused_with_what_to_do(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", OPENAI)
    assert_error(status, body, 422, "provider_not_configured", "llm_config.provider")
    assert "POST /byok" in body["error"]["message"] and "'openai'" in body["error"]["message"]
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201
    status, body, _ = await api.call("PATCH", f"/assistants/{created['assistant']['id']}",
                                     {"llm_config": {"provider": "openai"}})
    assert_error(status, body, 422, "provider_not_configured", "llm_config.provider")
    status, body, _ = await api.call("GET", f"/assistants/{created['assistant']['id']}")
    assert body["assistant"]["llm_config"]["provider"] == "local"


async def test_with_a_byok_key_the_openai_llm_and_its_url_are_kept(api: Api) -> None:
    status, _, _ = await api.call("POST", "/byok", {"provider": "openai", "api_key": "sk-test-123456789",
                                                    "base_url": "http://127.0.0.1:8080/v1"})
    assert status == 201
    status, body, _ = await api.call("POST", "/assistants", OPENAI)
    assert status == 201, body
    assert body["assistant"]["llm_config"]["provider"] == "openai"
    assert body["assistant"]["llm_config"]["url"] == "http://10.0.0.5:8080/v1"
    status, body, _ = await api.call("GET", "/byok/config")
    [openai] = [p for p in body["providers"] if p["provider"] == "openai"]
    assert openai["configured"] is True and "llm" in openai["category"]
    assert "streamed" in openai["supports"]["llm_config.provider"]
    assert "sk-test-123456789" not in str(body)


async def test_an_outbound_call_with_a_one_off_openai_llm_is_refused_until_the_key_exists(api: Api) -> None:
    call = {"assistant": OPENAI, "customer": {"number": "+31600000001"}}
    status, body, _ = await api.call("POST", "/calls", call)
    assert_error(status, body, 422, "provider_not_configured", "llm_config.provider")
    assert "POST /byok" in body["error"]["message"]
    status, _, _ = await api.call("POST", "/byok", {"provider": "openai", "api_key": "sk-test-123456789"})
    assert status == 201
    status, body, _ = await api.call("POST", "/calls", call)
    assert status == 503 and body["error"]["code"] == "telephony_unavailable", body  # past the check: no telephony here
