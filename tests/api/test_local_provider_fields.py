"""A local engine has no use for a remote provider's server address or model name: such a field is
refused (422 `unsupported_setting`) instead of being stored and silently ignored."""

from __future__ import annotations

import pytest

from .conftest import Api, assert_error

IGNORED_BY_LOCAL = [
    ("llm_config", "url", "http://10.0.0.5:8080/v1"),
    ("stt_config", "url", "tcp://127.0.0.1:10300"),
    ("tts_config", "url", "tcp://127.0.0.1:10200"),
    ("tts_config", "model", "tts-1"),
]


@pytest.mark.parametrize(("config", "field", "value"), IGNORED_BY_LOCAL)
@pytest.mark.parametrize("provider", [{"provider": "local"}, {}], ids=["local", "default"])
async def test_a_provider_field_the_local_engine_ignores_is_refused(
    api: Api, config: str, field: str, value: str, provider: dict[str, str]
) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", config: {**provider, field: value}})
    assert_error(status, body, 422, "unsupported_setting", config)
    assert f"{config}.{field}" in body["error"]["message"] and "'local'" in body["error"]["message"]
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201
    ident = created["assistant"]["id"]
    status, body, _ = await api.call("PATCH", f"/assistants/{ident}", {config: {field: value}})
    assert_error(status, body, 422, "unsupported_setting", config)
    status, body, _ = await api.call("GET", f"/assistants/{ident}")
    assert body["assistant"][config].get(field) is None


async def test_switching_to_local_needs_the_remote_servers_address_removed(api: Api) -> None:
    status, _, _ = await api.call("POST", "/byok", {"provider": "openai", "api_key": "sk-test-123456789"})
    assert status == 201
    status, created, _ = await api.call("POST", "/assistants", {
        "system_prompt": "x", "llm_config": {"provider": "openai", "url": "http://10.0.0.5:8080/v1"}})
    assert status == 201, created
    ident = created["assistant"]["id"]
    status, body, _ = await api.call("PATCH", f"/assistants/{ident}", {"llm_config": {"provider": "local"}})
    assert_error(status, body, 422, "unsupported_setting", "llm_config")
    assert "llm_config.url" in body["error"]["message"]
    status, body, _ = await api.call("PATCH", f"/assistants/{ident}", {"llm_config": {"provider": "local", "url": None}})
    assert status == 200, body
    assert body["assistant"]["llm_config"]["provider"] == "local" and body["assistant"]["llm_config"]["url"] is None


async def test_the_local_engines_own_settings_are_kept(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {
        "system_prompt": "x", "stt_config": {"provider": "local", "language": "en"},
        "tts_config": {"provider": "local", "speed": 1.25}})
    assert status == 201, body
    assert body["assistant"]["tts_config"]["speed"] == 1.25 and body["assistant"]["stt_config"]["language"] == "en"


@pytest.mark.parametrize(("field", "value"), [("model", "tts-1-hd"), ("speed", 1.5)])
async def test_a_wyoming_voice_refuses_what_the_protocol_cannot_carry(api: Api, field: str, value: object) -> None:
    tts = {"provider": "wyoming", "url": "tcp://127.0.0.1:10200", field: value}
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "tts_config": tts})
    assert_error(status, body, 422, "unsupported_setting", "tts_config")
    assert f"tts_config.{field}" in body["error"]["message"] and "'wyoming'" in body["error"]["message"]
    status, body, _ = await api.call("POST", "/assistants", {
        "system_prompt": "x", "tts_config": {"provider": "wyoming", "url": "tcp://127.0.0.1:10200", "voice_id": "amy"}})
    assert status == 201, body
