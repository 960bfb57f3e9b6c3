"""Speech to text by a remote server: OpenAI-compatible `/audio/transcriptions` and Deepgram's
streaming websocket, both behind the same `STT` protocol as the local Whisper.

The pipeline hands over a whole endpointed utterance, so each request is one upload (or one short
stream); errors carry the HTTP status but never the request's headers, where the key travels.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from voicedock.audio import PCM16, as_int16
from voicedock.engines.base import EngineError, Transcript
from voicedock.engines.credentials import KeySource, require_key
from voicedock.engines.speech_audio import wav_bytes

OPENAI_URL = "https://api.openai.com/v1"
DEEPGRAM_URL = "wss://api.deepgram.com/v1/listen"
TIMEOUT_SECONDS = 15.0


def http_error(provider: str, status: int, body: str, secret: str) -> EngineError:
    """4xx other than 408/429 will not get better by retrying. The body is cut short (it may be HTML),
    and left out for 401/403, whose bodies may quote the key; any copy of the key is masked."""
    retryable = status in (408, 429) or status >= 500
    detail = "" if status in (401, 403) else ": " + body[:200].replace(secret, "***")
    return EngineError(f"{provider}_http_{status}", f"{provider} answered {status}{detail}", retryable=retryable)


def listen_url(base_url: str | None, default: str) -> str:
    """A BYOK base_url is http(s) (the API validates it so); Deepgram's live API is its websocket twin."""
    if not base_url:
        return default
    url = base_url.rstrip("/")
    url = "ws" + url[4:] if url.startswith("http") else url
    return url if url.endswith("/v1/listen") else url + "/v1/listen"


class OpenAISTT:
    """Any server speaking OpenAI's transcription API (the hosted one, speaches, a vLLM Whisper)."""

    def __init__(self, keys: KeySource, *, model: str | None = None, language: str | None = None,
                 base_url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.keys = keys
        self.model = model or "whisper-1"
        self.language = language
        self.base_url = base_url
        self.timeout = timeout

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        key = await require_key(self.keys, "openai")
        base = (self.base_url or key.base_url or OPENAI_URL).rstrip("/")
        started = time.perf_counter()
        form = aiohttp.FormData()
        form.add_field("file", wav_bytes(pcm16, rate), filename="utterance.wav", content_type="audio/wav")
        form.add_field("model", self.model)
        form.add_field("response_format", "json")
        if self.language:
            form.add_field("language", self.language)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(f"{base}/audio/transcriptions", data=form,
                                     headers={"Authorization": f"Bearer {key.api_key}"}) as resp:
                    if resp.status != 200:
                        raise http_error("openai", resp.status, await resp.text(), key.api_key)
                    body: dict[str, Any] = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise EngineError("openai_unreachable", f"transcription server failed: {type(err).__name__}",
                              retryable=True) from err
        return Transcript(text=str(body.get("text", "")).strip(), language=body.get("language") or self.language,
                          audio_seconds=len(as_int16(pcm16)) / rate, elapsed_seconds=time.perf_counter() - started)


class DeepgramSTT:
    """Deepgram's live API: raw linear16 in over a websocket, `Results` messages back; `CloseStream`
    makes it flush the last words and close, so one utterance is one short-lived stream."""

    def __init__(self, keys: KeySource, *, model: str | None = None, language: str | None = None,
                 url: str = DEEPGRAM_URL, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.keys = keys
        self.model = model or "nova-2"
        self.language = language
        self.url = url
        self.base_url = base_url  # the assistant's stt_config.url: wins over the BYOK entry's base_url
        self.timeout = timeout

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        key = await require_key(self.keys, "deepgram")
        url = listen_url(self.base_url or key.base_url, self.url)
        params = {"encoding": "linear16", "sample_rate": str(rate), "channels": "1", "model": self.model,
                  "punctuate": "true"}
        if self.language:
            params["language"] = self.language
        audio = as_int16(pcm16).astype("<i2").tobytes()
        started = time.perf_counter()
        try:
            async with aiohttp.ClientSession() as http:
                async with asyncio.timeout(self.timeout):
                    async with http.ws_connect(url, params=params,
                                               headers={"Authorization": f"Token {key.api_key}"}) as ws:
                        step = rate * 2 // 10  # 100 ms frames, as a live stream sends them
                        for pos in range(0, len(audio), step):
                            await ws.send_bytes(audio[pos:pos + step])
                        await ws.send_str(json.dumps({"type": "CloseStream"}))
                        finals = [text async for text in _final_texts(ws)]
        except aiohttp.WSServerHandshakeError as err:
            raise http_error("deepgram", err.status, err.message, key.api_key) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise EngineError("deepgram_unreachable", f"Deepgram stream failed: {type(err).__name__}",
                              retryable=True) from err
        return Transcript(text=" ".join(t for t in finals if t).strip(), language=self.language,
                          audio_seconds=len(audio) / 2 / rate, elapsed_seconds=time.perf_counter() - started)


async def _final_texts(ws: aiohttp.ClientWebSocketResponse) -> Any:
    """The transcript of each final `Results` message until the server closes the stream."""
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        data = json.loads(msg.data)
        if data.get("type") == "Results" and data.get("is_final"):
            alternatives = data.get("channel", {}).get("alternatives") or [{}]
            yield str(alternatives[0].get("transcript", ""))
