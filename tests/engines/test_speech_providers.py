"""Each speech provider against a server on loopback: real wyoming-piper, wyoming-faster-whisper and
faster-whisper-server (OpenAI's transcription API) processes, and stand-ins for OpenAI, Deepgram and
ElevenLabs speaking their wire formats with the local models behind them. What is asserted is what a
caller or an operator notices: the words, the length and rate of the audio, and the key in the header
the provider documents."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from aiohttp.test_utils import TestServer

from voicedock.audio import rms
from voicedock.engines.base import STT, TTS, AudioChunk, EngineError
from voicedock.engines.credentials import ProviderKey, static_keys
from voicedock.engines.speech_wyoming import WyomingSTT, WyomingTTS
from voicedock.engines.stt_remote import DeepgramSTT, OpenAISTT
from voicedock.engines.stt_whisper import WhisperSTT
from voicedock.engines.tts_piper import PiperTTS
from voicedock.engines.tts_remote import ElevenLabsTTS, OpenAITTS

from .speech_servers import openai_whisper_server, piper_args, whisper_args, wyoming_server
from .speech_standins import Seen, ci_piper, ci_whisper, speech_app, words

pytestmark = pytest.mark.models

SENTENCE = "Please book a table for two people tomorrow evening."


def assert_heard(heard: str) -> None:
    """The sentence came through: Piper speaks it a little differently every time, and tiny.en
    hears "a table" as "a cable" or "the table" now and then, so the test asks for the other words."""
    assert "book" in heard and "for two people tomorrow evening" in heard, heard
REPLY = "Thank you for calling. How can I help you today?"
OPENAI_KEY = "sk-test-openai-0001"
DEEPGRAM_KEY = "dg-test-key-0002"
ELEVEN_KEY = "xi-test-key-0003"


@pytest.fixture(scope="module")
def whisper(ci_models_dir: Path) -> WhisperSTT:
    return ci_whisper(ci_models_dir)


@pytest.fixture(scope="module")
def piper_native(ci_models_dir: Path) -> PiperTTS:
    return ci_piper(ci_models_dir, None)


@pytest.fixture(scope="module")
def caller_audio(ci_models_dir: Path) -> np.ndarray:
    """The sentence as the call path carries it: Piper speech at 8 kHz."""
    piper = ci_piper(ci_models_dir, 8000)
    return np.concatenate([c.pcm16 for c in piper.synthesize_sync(SENTENCE)])


@pytest.fixture(scope="module")
def wyoming_piper(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("wyoming-piper")
    with wyoming_server("wyoming_piper", piper_args(ci_models_dir, tmp), tmp / "server.log") as uri:
        yield uri


@pytest.fixture(scope="module")
def wyoming_whisper(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("wyoming-whisper")
    with wyoming_server("wyoming_faster_whisper", whisper_args(ci_models_dir, tmp), tmp / "server.log") as uri:
        yield uri


@pytest.fixture(scope="module")
def openai_whisper(ci_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with openai_whisper_server(ci_models_dir, tmp_path_factory.mktemp("faster-whisper-server")) as url:
        yield url


@pytest.fixture
async def standin(whisper: WhisperSTT, piper_native: PiperTTS) -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    server = TestServer(speech_app(whisper, piper_native, seen), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), seen
    await server.close()


async def spoken(tts: TTS, text: str = REPLY) -> list[AudioChunk]:
    return [chunk async for chunk in tts.synthesize(text)]


def assert_sounds_like_the_reply(chunks: list[AudioChunk]) -> None:
    """One chunk per sentence, at the call's 8 kHz, about as long as the words take, and loud."""
    assert [c.text for c in chunks] == ["Thank you for calling.", "How can I help you today?"]
    assert all(c.rate == 8000 for c in chunks)
    seconds = sum(c.seconds for c in chunks)
    assert 1.5 < seconds < 6.0, seconds
    assert rms(np.concatenate([c.pcm16 for c in chunks])) > 1000


async def transcript_of(stt: STT, audio: np.ndarray) -> str:
    return words((await stt.transcribe(audio, 8000)).text)


async def test_wyoming_faster_whisper_transcribes_the_callers_sentence(wyoming_whisper: str,
                                                                        caller_audio: np.ndarray) -> None:
    heard = await transcript_of(WyomingSTT(wyoming_whisper, language="en"), caller_audio)
    assert_heard(heard)


async def test_wyoming_piper_speaks_the_reply_at_the_call_rate(wyoming_piper: str, whisper: WhisperSTT) -> None:
    chunks = await spoken(WyomingTTS(wyoming_piper, output_rate=8000))
    assert_sounds_like_the_reply(chunks)
    heard = await transcript_of(whisper, np.concatenate([c.pcm16 for c in chunks]))
    assert "how can i help you today" in heard


async def test_a_wyoming_server_that_is_gone_is_an_engine_error(wyoming_piper: str) -> None:
    with pytest.raises(EngineError) as err:
        await spoken(WyomingTTS("tcp://127.0.0.1:9", output_rate=8000))
    assert err.value.code == "wyoming_unreachable"


async def test_an_openai_compatible_transcription_server_returns_the_callers_words(
        openai_whisper: str, caller_audio: np.ndarray) -> None:
    keys = static_keys({"openai": ProviderKey(OPENAI_KEY, openai_whisper)})
    heard = await transcript_of(OpenAISTT(keys, language="en"), caller_audio)
    assert_heard(heard)


async def test_openai_transcription_sends_the_key_and_returns_the_words(
        standin: tuple[str, Seen], caller_audio: np.ndarray) -> None:
    url, seen = standin
    keys = static_keys({"openai": ProviderKey(OPENAI_KEY, f"{url}/v1")})
    heard = await transcript_of(OpenAISTT(keys, language="en"), caller_audio)
    assert_heard(heard)
    assert seen.headers[0]["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.bodies[0] == {"model": "whisper-1", "response_format": "json", "language": "en"}


async def test_openai_speech_sends_the_key_and_the_voice(standin: tuple[str, Seen]) -> None:
    url, seen = standin
    keys = static_keys({"openai": ProviderKey(OPENAI_KEY, f"{url}/v1")})
    chunks = await spoken(OpenAITTS(keys, output_rate=8000, voice="nova"))
    assert_sounds_like_the_reply(chunks)
    assert seen.headers[0]["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.bodies[0]["voice"] == "nova" and seen.bodies[0]["input"] == "Thank you for calling."


async def test_deepgram_streams_the_utterance_and_returns_the_final_words(
        standin: tuple[str, Seen], caller_audio: np.ndarray) -> None:
    url, seen = standin
    keys = static_keys({"deepgram": ProviderKey(DEEPGRAM_KEY)})
    stt = DeepgramSTT(keys, language="en", url=url.replace("http://", "ws://") + "/v1/listen")
    heard = await transcript_of(stt, caller_audio)
    assert_heard(heard)
    assert seen.headers[0]["Authorization"] == f"Token {DEEPGRAM_KEY}"
    assert seen.query[0]["encoding"] == "linear16" and seen.query[0]["sample_rate"] == "8000"


async def test_deepgram_refusing_the_key_is_a_permanent_error(whisper: WhisperSTT, piper_native: PiperTTS,
                                                              caller_audio: np.ndarray) -> None:
    server = TestServer(speech_app(whisper, piper_native, Seen(), fail_status=401), host="127.0.0.1")
    await server.start_server()
    try:
        stt = DeepgramSTT(static_keys({"deepgram": ProviderKey(DEEPGRAM_KEY)}),
                          url=str(server.make_url("/v1/listen")).replace("http://", "ws://"))
        with pytest.raises(EngineError) as err:
            await stt.transcribe(caller_audio, 8000)
    finally:
        await server.close()
    assert err.value.code == "deepgram_http_401" and not err.value.retryable
    assert DEEPGRAM_KEY not in str(err.value)


async def test_elevenlabs_streams_the_reply_with_the_key_in_its_header(standin: tuple[str, Seen]) -> None:
    url, seen = standin
    keys = static_keys({"elevenlabs": ProviderKey(ELEVEN_KEY, url)})
    chunks = await spoken(ElevenLabsTTS(keys, output_rate=8000, voice_id="voice123"))
    assert_sounds_like_the_reply(chunks)
    assert seen.headers[0]["xi-api-key"] == ELEVEN_KEY
    assert seen.query[0]["output_format"] == "pcm_16000" and seen.bodies[0]["voice_id"] == "voice123"


async def test_the_assistants_url_reaches_deepgram_and_elevenlabs_over_the_byok_base_url(
        standin: tuple[str, Seen], caller_audio: np.ndarray) -> None:
    from voicedock.engines.speech_providers import _remote_stt, _remote_tts
    from voicedock.schemas.assistants import STTConfig, TTSConfig

    url, seen = standin
    keys = static_keys({"deepgram": ProviderKey(DEEPGRAM_KEY, "http://127.0.0.1:9"),
                        "elevenlabs": ProviderKey(ELEVEN_KEY, "http://127.0.0.1:9")})  # nothing listens there
    stt = _remote_stt(STTConfig(provider="deepgram", url=url), keys)
    tts = _remote_tts(TTSConfig(provider="elevenlabs", url=url, voice_id="voice123"), keys, 8000)
    assert stt is not None and tts is not None
    assert_heard(await transcript_of(stt, caller_audio))
    assert_sounds_like_the_reply(await spoken(tts))
    assert seen.headers[0]["Authorization"] == f"Token {DEEPGRAM_KEY}" and seen.headers[1]["xi-api-key"] == ELEVEN_KEY
