"""Per-call speech providers: the assistant's choice picks the engine, and a provider that fails
mid-call is logged (with its latency, never the key) while the local engine carries the call on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from voicedock.assistant import CallAssistant
from voicedock.engines.base import AudioChunk, EngineError
from voicedock.engines.credentials import ProviderKey, static_keys
from voicedock.engines.fakes import FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines
from voicedock.engines.speech_fallback import FallbackSTT, FallbackTTS
from voicedock.engines.speech_providers import speech_engines_for, speech_problem
from voicedock.engines.speech_wyoming import WyomingTTS
from voicedock.engines.stt_remote import DEEPGRAM_URL, DeepgramSTT, OpenAISTT, http_error, listen_url
from voicedock.engines.tts_remote import ElevenLabsTTS

SECRET = "sk-never-in-logs-9876"
AUDIO = np.zeros(8000, np.int16)


def assistant(**fields: object) -> CallAssistant:
    return CallAssistant.parse({"system_prompt": "Be brief.", **fields})


def test_each_provider_picks_its_engine_with_the_local_one_behind_it() -> None:
    shared = fake_engines()
    keys = static_keys({})
    local = speech_engines_for(assistant(), keys, shared)
    assert local is shared
    chosen = speech_engines_for(assistant(stt_config={"provider": "deepgram"},
                                          tts_config={"provider": "wyoming", "url": "tcp://127.0.0.1:10200"}),
                                keys, shared, "call_1")
    assert isinstance(chosen.stt, FallbackSTT) and isinstance(chosen.stt.primary, DeepgramSTT)
    assert isinstance(chosen.tts, FallbackTTS) and isinstance(chosen.tts.primary, WyomingTTS)
    assert chosen.stt.local is shared.stt and chosen.tts.local is shared.tts and chosen.llm is shared.llm
    assert chosen.tts.output_rate == shared.tts.output_rate == 8000
    other = speech_engines_for(assistant(stt_config={"provider": "openai"}, tts_config={"provider": "elevenlabs"}),
                               keys, shared)
    assert isinstance(other.stt.primary, OpenAISTT) and isinstance(other.tts.primary, ElevenLabsTTS)  # type: ignore[attr-defined]


def test_a_provider_without_its_key_or_address_is_named() -> None:
    assert speech_problem(assistant(stt_config={"provider": "deepgram"}), {}) == (
        "stt_config.provider", "stt_config.provider 'deepgram' needs a BYOK key: POST /byok with provider "
        "'deepgram' first")
    assert speech_problem(assistant(stt_config={"provider": "deepgram"}), {"deepgram": {}}) is None
    assert speech_problem(assistant(tts_config={"provider": "wyoming", "url": "http://x:1"}), {})[0] == "tts_config.url"  # type: ignore[index]
    assert speech_problem(assistant(tts_config={"provider": "wyoming", "url": "tcp://piper:10200"}), {}) is None
    assert speech_problem(assistant(tts_config={"provider": "openai"}), {})[0] == "tts_config.provider"  # type: ignore[index]


@pytest.fixture
async def broken_server() -> AsyncIterator[str]:
    """An OpenAI-compatible server that is down (503 on every request)."""

    async def down(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.json_response({"error": {"message": "overloaded"}}, status=503)

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", down)
    app.router.add_post("/v1/audio/speech", down)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/v1"))
    await server.close()


async def test_a_failing_stt_provider_is_logged_and_the_local_engine_answers(
        broken_server: str, caplog: pytest.LogCaptureFixture) -> None:
    shared = fake_engines(stt=FakeSTT(transcripts=("I need a plumber",)))
    keys = static_keys({"openai": ProviderKey(SECRET, broken_server)})
    engines = speech_engines_for(assistant(stt_config={"provider": "openai"}), keys, shared, "call_42")
    with caplog.at_level(logging.WARNING, logger="voicedock.engines"):
        transcript = await engines.stt.transcribe(AUDIO, 8000)
    assert transcript.text == "I need a plumber"
    [record] = [r for r in caplog.records if r.name == "voicedock.engines"]
    assert record.__dict__["provider"] == "openai" and record.__dict__["error_code"] == "openai_http_503"
    assert record.__dict__["call_id"] == "call_42" and record.__dict__["latency_ms"] >= 50
    assert SECRET not in caplog.text


async def test_a_tts_provider_failing_mid_reply_hands_the_rest_to_the_local_voice(
        caplog: pytest.LogCaptureFixture) -> None:
    class DiesAfterOneSentence:
        output_rate = 8000

        async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
            yield AudioChunk(pcm16=np.ones(800, np.int16), rate=8000, text="Thank you for calling.")
            raise EngineError("elevenlabs_http_500", "ElevenLabs answered 500")

    local = FakeTTS()
    tts = FallbackTTS(DiesAfterOneSentence(), local, provider="elevenlabs", call_id="call_7")
    with caplog.at_level(logging.WARNING, logger="voicedock.engines"):
        chunks = [c async for c in tts.synthesize("Thank you for calling. How can I help? We open at nine.")]
    assert [c.text for c in chunks] == ["Thank you for calling.", "How can I help?", "We open at nine."]
    assert local.spoken == ["How can I help?", "We open at nine."]
    assert "elevenlabs" in caplog.text


async def test_a_key_removed_after_saving_falls_back_too(caplog: pytest.LogCaptureFixture) -> None:
    local = FakeTTS()
    engines = speech_engines_for(assistant(tts_config={"provider": "openai"}), static_keys({}),
                                 fake_engines(tts=local))
    chunks = [c async for c in engines.tts.synthesize("Hello there.")]
    assert [c.text for c in chunks] == ["Hello there."] and local.spoken == ["Hello there."]
    assert "byok_missing" in caplog.text


def test_provider_errors_never_carry_the_key() -> None:
    refused = http_error("openai", 401, f"Incorrect API key provided: {SECRET}", SECRET)
    assert SECRET not in str(refused) and refused.code == "openai_http_401" and not refused.retryable
    down = http_error("elevenlabs", 503, f"upstream said {SECRET} is busy", SECRET)
    assert SECRET not in str(down) and "busy" in str(down) and down.retryable


def test_a_deepgram_base_url_from_byok_is_its_websocket_address() -> None:
    assert listen_url(None, DEEPGRAM_URL) == DEEPGRAM_URL
    assert listen_url("https://deepgram.example.com", DEEPGRAM_URL) == "wss://deepgram.example.com/v1/listen"
    assert listen_url("http://127.0.0.1:8080/v1/listen/", DEEPGRAM_URL) == "ws://127.0.0.1:8080/v1/listen"
