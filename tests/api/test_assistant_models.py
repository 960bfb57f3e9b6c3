"""Creating or changing an assistant whose language, voice or STT model is not installed answers 422."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Api, assert_error


@pytest.fixture(autouse=True)
def ci_models(ci_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEDOCK_MODELS_DIR", str(ci_models_dir))
    monkeypatch.setenv("VOICEDOCK_MODEL_PROFILE", "ci")


async def test_a_voice_that_is_not_installed_is_refused_naming_what_to_install(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x",
                                                            "tts_config": {"voice_id": "de_DE-thorsten-medium"}})
    assert_error(status, body, 422, "model_not_installed", "tts_config.voice_id")
    assert "de_DE-thorsten-medium" in body["error"]["message"] and "install-models" in body["error"]["message"]
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "tts_config": {
        "voice_id": "en_US-joe-medium", "speed": 1.5}})
    assert status == 201 and body["assistant"]["tts_config"]["speed"] == 1.5


async def test_a_language_or_stt_model_that_is_not_installed_is_refused_on_create_and_on_change(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "language": "de"})
    assert_error(status, body, 422, "model_not_installed", "language")
    assert "whisper-base" in body["error"]["message"]
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201
    ident = created["assistant"]["id"]
    status, body, _ = await api.call("PATCH", f"/assistants/{ident}", {"stt_config": {"model": "whisper-small"}})
    assert_error(status, body, 422, "model_not_installed", "stt_config.model")
    status, body, _ = await api.call("GET", f"/assistants/{ident}")
    assert body["assistant"]["stt_config"]["model"] is None


async def test_an_outbound_call_with_a_one_off_assistant_is_checked_the_same_way(api: Api) -> None:
    for assistant, code, param in (
        ({"tts_config": {"voice_id": "nl_NL-mls-medium"}}, "model_not_installed", "tts_config.voice_id"),
        ({"notification_email": "owner@example.com"}, "mail_not_configured", "notification_email"),
    ):
        status, body, _ = await api.call("POST", "/calls", {"assistant": {"system_prompt": "x", **assistant},
                                                            "customer": {"number": "+31600000001"}})
        assert_error(status, body, 422, code, param)


async def test_a_local_llm_model_other_than_the_servers_is_refused(api: Api) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "llm_config": {"model": "gpt-4o"}})
    assert_error(status, body, 422, "model_not_installed", "llm_config.model")
    assert "provider 'openai'" in body["error"]["message"]
