"""An assistant naming a speech provider the server cannot use is refused (422, naming what is missing);
with the key configured, it is accepted and a call reads that key from BYOK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voicedock.secrets import SecretBox
from voicedock.store import Database, records
from voicedock_cli.voice import byok_keys

from .conftest import Api, assert_error


async def test_a_speech_provider_without_its_byok_key_is_refused_until_the_key_exists(api: Api) -> None:
    body: dict[str, Any] = {"system_prompt": "Be brief.", "stt_config": {"provider": "deepgram"}}
    status, reply, _ = await api.call("POST", "/assistants", body)
    assert_error(status, reply, 422, "provider_not_configured", "stt_config.provider")
    assert "POST /byok" in reply["error"]["message"] and "deepgram" in reply["error"]["message"]
    status, _, _ = await api.call("POST", "/byok", {"provider": "deepgram", "api_key": "dg-key-12345678"})
    assert status == 201
    status, reply, _ = await api.call("POST", "/assistants", body)
    assert status == 201 and reply["assistant"]["stt_config"]["provider"] == "deepgram"

    ident = reply["assistant"]["id"]
    status, reply, _ = await api.call("PATCH", f"/assistants/{ident}", {"tts_config": {"provider": "elevenlabs"}})
    assert_error(status, reply, 422, "provider_not_configured", "tts_config.provider")
    status, reply, _ = await api.call("GET", f"/assistants/{ident}")
    assert reply["assistant"]["tts_config"]["provider"] == "local"


async def test_a_wyoming_provider_needs_a_tcp_address(api: Api) -> None:
    for url in (None, "http://127.0.0.1:10200", "tcp://piper"):
        tts: dict[str, Any] = {"provider": "wyoming", **({"url": url} if url else {})}
        status, reply, _ = await api.call("POST", "/assistants", {"system_prompt": "x", "tts_config": tts})
        assert_error(status, reply, 422, "provider_not_configured", "tts_config.url")
    status, reply, _ = await api.call("POST", "/assistants", {
        "system_prompt": "x", "tts_config": {"provider": "wyoming", "url": "tcp://127.0.0.1:10200", "voice_id": "joe"},
        "stt_config": {"provider": "wyoming", "url": "tcp://127.0.0.1:10300"}})
    assert status == 201, reply
    assert reply["assistant"]["tts_config"]["url"] == "tcp://127.0.0.1:10200"


async def test_an_outbound_call_with_a_one_off_assistant_is_checked_the_same_way(api: Api) -> None:
    status, reply, _ = await api.call("POST", "/calls", {
        "assistant": {"system_prompt": "x", "tts_config": {"provider": "elevenlabs"}},
        "customer": {"number": "+31600000001"}})
    assert_error(status, reply, 422, "provider_not_configured", "tts_config.provider")


async def test_a_call_reads_the_stored_key_and_base_url(db: Database, tmp_path: Path) -> None:
    box = SecretBox(tmp_path / "secret.key")
    db.write_sync(lambda d: records.set_byok(d, box, "openai", "sk-call-key-1234", "http://127.0.0.1:9/v1"))
    lookup = byok_keys(db, box)
    key = await lookup("openai")
    assert key is not None and key.api_key == "sk-call-key-1234" and key.base_url == "http://127.0.0.1:9/v1"
    assert "sk-call-key" not in repr(key)
    assert await lookup("deepgram") is None
