"""Each speech provider on real calls through Asterisk: the caller's sentence is transcribed by the
configured server, the caller hears the reply in the configured voice, and the key from BYOK reaches
the server in the header its API documents; a provider that fails during a call leaves the call to the
local engines. Wyoming STT and TTS and OpenAI-compatible transcription are real servers on loopback
(wyoming-faster-whisper, wyoming-piper, faster-whisper-server); hosted OpenAI speech, Deepgram and
ElevenLabs cannot be reached, so their stand-ins (`tests/engines/speech_standins.py`) answer.

The local engines are scripted and recognisable (a fixed transcript, a 440 Hz tone), so the caller's
words in the transcript and speech in what the caller heard can only have come from the provider."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from voicedock.conversation.voice import voice_session_factory
from voicedock.engines.fakes import FakeLLM, FakeSTT, FakeTTS
from voicedock.engines.loader import fake_engines
from voicedock.engines.stt_whisper import WhisperSTT
from voicedock.engines.tts_piper import PiperTTS
from voicedock.store import Database, records
from voicedock_ari.controller import CallController
from voicedock_cli.voice import byok_keys, providers_per_call

from ..engines.speech_servers import openai_whisper_server, piper_args, whisper_args, wyoming_server
from ..engines.speech_standins import Seen, ci_piper, ci_whisper, speech_app, words
from .audio import dominant_hz, read_wav
from .harness import start_live_call

pytestmark = [pytest.mark.asterisk, pytest.mark.models]

SENTENCE = "Please book a table for two people tomorrow evening."
REPLY = "Your table is booked. We look forward to seeing you tomorrow evening."
LOCAL_TRANSCRIPT = "the local transcriber heard this"
KEYS = {"openai": "sk-call-openai-0001", "deepgram": "dg-call-key-0002", "elevenlabs": "xi-call-key-0003"}


@pytest.fixture(scope="module")
def whisper(ci_models_dir: Path) -> WhisperSTT:
    """The stand-ins' ears, and the test's, for what the caller heard."""
    return ci_whisper(ci_models_dir)


@pytest.fixture(scope="module")
def caller_speech(ci_models_dir: Path) -> np.ndarray:
    """What the caller says: the sentence in Piper's voice at the call's 8 kHz."""
    piper = ci_piper(ci_models_dir, 8000)
    return np.concatenate([c.pcm16 for c in piper.synthesize_sync(SENTENCE)])


@pytest.fixture(scope="module")
def wyoming_servers(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(wyoming-faster-whisper, wyoming-piper) uris."""
    tmp = tmp_path_factory.mktemp("wyoming")
    with (wyoming_server("wyoming_faster_whisper", whisper_args(ci_models_dir, tmp), tmp / "whisper.log") as stt,
          wyoming_server("wyoming_piper", piper_args(ci_models_dir, tmp), tmp / "piper.log") as tts):
        yield stt, tts


@pytest.fixture(scope="module")
def piper_native(ci_models_dir: Path) -> PiperTTS:
    """The stand-ins' voice."""
    return ci_piper(ci_models_dir, None)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """`app` on a loopback port; yields its base URL."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def standin(whisper: WhisperSTT, piper_native: PiperTTS) -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    async with serve(speech_app(whisper, piper_native, seen)) as url:
        yield url, seen


@pytest.fixture
async def keyed_whisper_server(ci_models_dir: Path, tmp_path: Path) -> AsyncIterator[tuple[str, list[str]]]:
    """faster-whisper-server, which takes no key itself, behind a check of the BYOK key as the hosted
    API makes it: (its …/v1 base URL, the Authorization header of each request)."""
    authorizations: list[str] = []
    with openai_whisper_server(ci_models_dir, tmp_path) as upstream:

        async def forward(request: web.Request) -> web.Response:
            authorizations.append(request.headers.get("Authorization", ""))
            if authorizations[-1] != f"Bearer {KEYS['openai']}":
                return web.json_response({"error": {"message": "Incorrect API key"}}, status=401)
            async with ClientSession() as session, session.post(
                    f"{upstream}/audio/transcriptions", data=await request.read(),
                    headers={"Content-Type": request.headers["Content-Type"]}) as answer:
                return web.Response(body=await answer.read(), status=answer.status, content_type=answer.content_type)

        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", forward)
        async with serve(app) as url:
            yield f"{url}/v1", authorizations


@dataclass
class SpeechCall:
    """A finished call: its record, what the caller heard (audio and its words), the local engines."""

    record: dict[str, Any]
    heard: np.ndarray
    heard_words: str
    local_stt: FakeSTT
    local_tts: FakeTTS

    def said(self, role: str) -> list[str]:
        return [m["content"] for m in self.record["messages"] if m["role"] == role]


async def speech_call(controller: CallController, store: Database, tmp_path: Path, whisper: WhisperSTT,
                      caller_speech: np.ndarray, **assistant: Any) -> SpeechCall:
    """A caller says the sentence once and listens; the assistant (`assistant` fields) replies REPLY.
    The engines are chosen as the server chooses them, keys read from BYOK in the store."""
    local_stt, local_tts = FakeSTT([LOCAL_TRANSCRIPT]), FakeTTS()
    controller.session_factory = voice_session_factory(
        fake_engines(stt=local_stt, llm=FakeLLM(replies=[REPLY]), tts=local_tts),
        per_call=providers_per_call(byok_keys(store, controller.box)))
    audio = np.concatenate([np.zeros(8000, np.int16), caller_speech, np.zeros(8000 * 20, np.int16)])
    async with start_live_call(controller, store, tmp_path, audio, seconds=20, answered=False,
                               first_message_mode="assistant-waits-for-user", **assistant) as placed:
        await asyncio.wait_for(placed.caller.process.wait(), 60)
        done = await placed.ended(30)
    heard, rate = read_wav(placed.caller.heard_wav)  # type: ignore[arg-type]
    return SpeechCall(done, heard, words((await whisper.transcribe(heard, rate)).text), local_stt, local_tts)


def add_key(controller: CallController, store: Database, provider: str, base_url: str) -> None:
    store.write_sync(lambda d: records.set_byok(d, controller.box, provider, KEYS[provider], base_url))


def assert_the_providers_heard_and_spoke(call: SpeechCall) -> None:
    """The sentence is in the transcript as the provider heard it; the reply reached the caller as speech."""
    [user] = call.said("user")
    assert "table for two" in words(user) and "tomorrow evening" in words(user), user
    assert call.local_stt.calls == [], "the local transcriber was asked"
    assert call.said("assistant") == [REPLY], call.record["messages"]
    assert "booked" in call.heard_words and "tomorrow evening" in call.heard_words, call.heard_words
    assert call.local_tts.spoken == [], "the local voice spoke"


async def test_wyoming_servers_transcribe_the_caller_and_speak_the_reply(
    controller: CallController, store: Database, tmp_path: Path, whisper: WhisperSTT, caller_speech: np.ndarray,
    wyoming_servers: tuple[str, str],
) -> None:
    stt_url, tts_url = wyoming_servers
    call = await speech_call(controller, store, tmp_path, whisper, caller_speech,
                             stt_config={"provider": "wyoming", "url": stt_url},
                             tts_config={"provider": "wyoming", "url": tts_url})
    assert_the_providers_heard_and_spoke(call)


async def test_openai_transcription_and_speech_get_the_byok_key(
    controller: CallController, store: Database, tmp_path: Path, whisper: WhisperSTT, caller_speech: np.ndarray,
    keyed_whisper_server: tuple[str, list[str]], standin: tuple[str, Seen],
) -> None:
    transcription_url, authorizations = keyed_whisper_server
    speech_url, seen = standin
    add_key(controller, store, "openai", f"{speech_url}/v1")
    call = await speech_call(controller, store, tmp_path, whisper, caller_speech,
                             stt_config={"provider": "openai", "url": transcription_url},
                             tts_config={"provider": "openai", "voice_id": "nova"})
    assert_the_providers_heard_and_spoke(call)
    assert authorizations and set(authorizations) == {f"Bearer {KEYS['openai']}"}, authorizations
    assert {h["Authorization"] for h in seen.headers} == {f"Bearer {KEYS['openai']}"}
    assert " ".join(b["input"] for b in seen.bodies) == REPLY and {b["voice"] for b in seen.bodies} == {"nova"}


async def test_deepgram_and_elevenlabs_get_their_byok_keys(
    controller: CallController, store: Database, tmp_path: Path, whisper: WhisperSTT, caller_speech: np.ndarray,
    standin: tuple[str, Seen],
) -> None:
    url, seen = standin
    add_key(controller, store, "deepgram", url)
    add_key(controller, store, "elevenlabs", url)
    call = await speech_call(controller, store, tmp_path, whisper, caller_speech,
                             stt_config={"provider": "deepgram"},
                             tts_config={"provider": "elevenlabs", "voice_id": "voice123"})
    assert_the_providers_heard_and_spoke(call)
    listened = [(h, q) for h, q in zip(seen.headers, seen.query, strict=True) if "sample_rate" in q]
    assert listened and {(h["Authorization"], q["sample_rate"]) for h, q in listened} == {
        (f"Token {KEYS['deepgram']}", "8000")}
    spoke = [(h, b) for h, b in zip(seen.headers, seen.bodies, strict=True) if b is not None]
    assert {h["xi-api-key"] for h, _ in spoke} == {KEYS["elevenlabs"]}
    assert " ".join(b["text"] for _, b in spoke) == REPLY and {b["voice_id"] for _, b in spoke} == {"voice123"}


async def test_providers_failing_during_a_call_leave_it_to_the_local_engines(
    controller: CallController, store: Database, tmp_path: Path, whisper: WhisperSTT, caller_speech: np.ndarray,
    piper_native: PiperTTS, caplog: pytest.LogCaptureFixture,
) -> None:
    seen = Seen()
    async with serve(speech_app(whisper, piper_native, seen, fail_status=503)) as url:
        add_key(controller, store, "openai", f"{url}/v1")
        add_key(controller, store, "elevenlabs", url)
        with caplog.at_level(logging.WARNING, logger="voicedock.engines"):
            call = await speech_call(controller, store, tmp_path, whisper, caller_speech,
                                     stt_config={"provider": "openai"}, tts_config={"provider": "elevenlabs"})

    assert len(seen.headers) >= 2, "the providers were not asked"
    assert call.said("user") == [LOCAL_TRANSCRIPT] and call.local_stt.calls
    assert call.said("assistant") == [REPLY] and " ".join(call.local_tts.spoken) == REPLY
    loud = call.heard[int(np.abs(call.heard).argmax()):][:4000]
    assert abs(dominant_hz(loud) - 440) < 20, "the caller did not hear the local voice"
    failures = [r.__dict__ for r in caplog.records if r.name == "voicedock.engines"]
    assert {f.get("provider") for f in failures} == {"openai", "elevenlabs"}, failures
    assert all(f["latency_ms"] >= 0 and f["call_id"] == call.record["id"] for f in failures), failures
    assert not any(key in caplog.text for key in KEYS.values())
