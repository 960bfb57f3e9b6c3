"""Text to speech by a remote server: OpenAI-compatible `/audio/speech` and ElevenLabs' streaming
endpoint, behind the same `TTS` protocol as Piper.

Text is split into sentences here, one request each, as the local engine does: the first sentence
plays while the next is rendered, and every chunk names the words it speaks (barge-in keeps those).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from voicedock.engines.base import AudioChunk, EngineError
from voicedock.engines.credentials import KeySource, require_key
from voicedock.engines.sentences import clean_for_speech, split_sentences
from voicedock.engines.speech_audio import parse_wav, to_call_chunk
from voicedock.engines.stt_remote import OPENAI_URL, TIMEOUT_SECONDS, http_error

ELEVENLABS_URL = "https://api.elevenlabs.io"
OPENAI_PCM_RATE = 24000  # OpenAI's `pcm` format: raw 24 kHz 16-bit mono, no header
ELEVENLABS_RATE = 16000  # asked for as `pcm_16000`: twice the call's rate, half the bytes of 24 kHz


def sentences(text: str) -> list[str]:
    """A hosted voice reads times and dates itself, in the language it is given; only markdown goes."""
    return list(split_sentences([clean_for_speech(text, english=False)]))


class OpenAITTS:
    """Any server speaking OpenAI's speech API; asks for WAV, so the rate comes with the audio
    (raw `pcm` is taken too, at OpenAI's documented 24 kHz)."""

    def __init__(self, keys: KeySource, *, output_rate: int, model: str | None = None, voice: str | None = None,
                 speed: float = 1.0, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.keys = keys
        self._output_rate = output_rate
        self.model = model or "tts-1"
        self.voice = voice or "alloy"
        self.speed = speed
        self.base_url = base_url
        self.timeout = timeout

    @property
    def output_rate(self) -> int:
        return self._output_rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        key = await require_key(self.keys, "openai")
        base = (self.base_url or key.base_url or OPENAI_URL).rstrip("/")
        headers = {"Authorization": f"Bearer {key.api_key}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
            for sentence in sentences(text):
                started = time.perf_counter()
                body = {"model": self.model, "input": sentence, "voice": self.voice, "response_format": "wav",
                        "speed": self.speed}
                data = await _post_for_audio(http, "openai", "speech server", f"{base}/audio/speech", body, headers,
                                             key.api_key)
                pcm, rate = parse_wav(data) if data[:4] == b"RIFF" else (data, OPENAI_PCM_RATE)
                chunk = await to_call_chunk(pcm, rate, self._output_rate, sentence,
                                            synth_seconds=time.perf_counter() - started, provider="openai")
                if chunk is not None:
                    yield chunk


class ElevenLabsTTS:
    """ElevenLabs' `/v1/text-to-speech/{voice_id}/stream` with raw 16 kHz PCM out; the key goes in
    `xi-api-key`, as its API documents."""

    def __init__(self, keys: KeySource, *, output_rate: int, voice_id: str | None = None, model: str | None = None,
                 speed: float = 1.0, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.keys = keys
        self._output_rate = output_rate
        self.voice_id = voice_id or "21m00Tcm4TlvDq8ikWAM"  # "Rachel", ElevenLabs' documented default voice
        self.model = model or "eleven_turbo_v2_5"
        self.api_speed = min(max(speed, 0.7), 1.2)  # the range ElevenLabs accepts; ours is wider
        self.base_url = base_url
        self.timeout = timeout

    @property
    def output_rate(self) -> int:
        return self._output_rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        key = await require_key(self.keys, "elevenlabs")
        base = (self.base_url or key.base_url or ELEVENLABS_URL).rstrip("/")
        url = f"{base}/v1/text-to-speech/{self.voice_id}/stream"
        headers = {"xi-api-key": key.api_key}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
            for sentence in sentences(text):
                started = time.perf_counter()
                body = {"text": sentence, "model_id": self.model, "voice_settings": {"speed": self.api_speed}}
                pcm = await _post_for_audio(http, "elevenlabs", "ElevenLabs", url, body, headers, key.api_key,
                                            params={"output_format": f"pcm_{ELEVENLABS_RATE}"})
                chunk = await to_call_chunk(pcm, ELEVENLABS_RATE, self._output_rate, sentence,
                                            synth_seconds=time.perf_counter() - started, provider="elevenlabs")
                if chunk is not None:
                    yield chunk


async def _post_for_audio(http: aiohttp.ClientSession, provider: str, what: str, url: str, body: dict[str, Any],
                          headers: dict[str, str], api_key: str, params: dict[str, str] | None = None) -> bytes:
    """One sentence's audio from a speech API: a refusal carries the status (never the key), a
    network failure is a retryable `<provider>_unreachable`."""
    try:
        async with http.post(url, json=body, headers=headers, params=params) as resp:
            if resp.status != 200:
                raise http_error(provider, resp.status, await resp.text(), api_key)
            return await resp.read()
    except (aiohttp.ClientError, TimeoutError) as err:
        raise EngineError(f"{provider}_unreachable", f"{what} failed: {type(err).__name__}", retryable=True) from err
