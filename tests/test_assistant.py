"""The typed assistant a call runs with: every source parses with the API's schema and defaults."""

from __future__ import annotations

import pytest

from voicedock.assistant import AssistantInvalid, CallAssistant
from voicedock.schemas.assistants import AssistantCreate, stored_document


def test_a_stored_document_and_a_bare_config_get_the_same_defaults_as_the_api() -> None:
    stored = CallAssistant.parse(stored_document(AssistantCreate.model_validate({"system_prompt": "Hi."})))
    bare = CallAssistant.parse({"system_prompt": "Hi."})
    assert stored == bare
    api = AssistantCreate.model_validate({"system_prompt": "Hi."})
    assert bare.llm_config.temperature == api.llm_config.temperature
    assert bare.llm_config.max_tokens == api.llm_config.max_tokens
    assert bare.start_speaking_plan.wait_seconds == api.start_speaking_plan.wait_seconds


def test_camel_case_configuration_is_read_but_a_tools_own_schema_is_left_alone() -> None:
    assistant = CallAssistant.parse({
        "systemPrompt": "Hi.", "firstMessage": "Hello!", "llmConfig": {"maxTokens": 60, "tools": [
            {"type": "function", "name": "track", "parameters": {
                "type": "object", "properties": {"orderId": {"type": "string"}}}}]},
        "stopSpeakingPlan": {"numWords": 2},
    })
    assert assistant.first_message == "Hello!" and assistant.greeting == "Hello!"
    assert assistant.llm_config.max_tokens == 60 and assistant.stop_speaking_plan.num_words == 2
    assert assistant.document["llm_config"]["tools"][0]["parameters"]["properties"] == {"orderId": {"type": "string"}}


def test_top_level_tools_are_the_llm_tools_and_the_document_mirrors_them() -> None:
    assistant = CallAssistant.parse({"system_prompt": "x", "tools": [{"type": "end_call"}]})
    assert [t.type for t in assistant.llm_config.tools] == ["end_call"]
    assert assistant.document["tools"] == assistant.document["llm_config"]["tools"]


def test_a_bad_config_is_refused_where_it_arrives_with_the_field_named() -> None:
    with pytest.raises(AssistantInvalid, match="max_duration_seconds"):
        CallAssistant.parse({"system_prompt": "x", "max_duration_seconds": 1})
    with pytest.raises(AssistantInvalid, match="llm_config"):
        CallAssistant.parse({"system_prompt": "x", "llm_config": {"temprature": 0.2}})


def test_an_override_replaces_top_level_keys_whole() -> None:
    base = CallAssistant.parse({"system_prompt": "Base.", "first_message": "Hi",
                                "llm_config": {"temperature": 0.3, "max_tokens": 80}})
    merged = base.merged({"first_message": "Yo", "llm_config": {"max_tokens": 20}})
    assert merged.system_prompt == "Base." and merged.first_message == "Yo"
    assert merged.llm_config.max_tokens == 20 and merged.llm_config.temperature == 0.0


def test_the_webhook_secret_never_travels_with_the_assistant() -> None:
    assistant = CallAssistant.parse({"system_prompt": "x", "webhook_secret": "s" * 20})
    assert "webhook_secret" not in assistant.document and assistant.webhook_secret is None


def test_gdpr_mode_turns_recording_off() -> None:
    assert CallAssistant.parse({"system_prompt": "x"}).records
    assert not CallAssistant.parse({"system_prompt": "x", "gdpr_mode": True}).records
