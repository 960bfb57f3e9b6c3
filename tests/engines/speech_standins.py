"""Local stand-ins for hosted speech APIs, speaking their documented wire formats with the real
local engines behind them, so a test hears real speech and reads a real transcript.

- OpenAI: `POST /v1/audio/transcriptions` (multipart `file`, `model`, `language`) -> `{"text"}`;
  `POST /v1/audio/speech` (JSON `model`, `input`, `voice`, `response_format`) -> WAV or raw 24 kHz PCM.
- Deepgram: `wss://…/v1/listen?encoding=linear16&sample_rate=…`, `Authorization: Token <key>`,
  binary audio, `{"type": "CloseStream"}` -> `Results` messages with `is_final`, then close.
- ElevenLabs: `POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000`, `xi-api-key`
  -> raw 16 kHz PCM, streamed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from voicedock.audio import resample
from voicedock.engines.speech_audio import parse_wav, wav_bytes
from voicedock.engines.stt_whisper import WhisperSTT
from voicedock.engines.tts_piper import PiperTTS


def ci_whisper(models_dir: Path) -> WhisperSTT:
    """The ci Whisper on one thread: the stand-ins' ears, and a test's for what a caller heard."""
    return WhisperSTT(models_dir / "whisper-tiny.en", cpu_threads=1, language="en")


def ci_piper(models_dir: Path, output_rate: int | None) -> PiperTTS:
    """The ci Piper voice; `output_rate` None keeps its own 22,050 Hz, as a hosted voice sends it."""
    return PiperTTS(models_dir / "piper-en_US-joe-medium" / "en_US-joe-medium.onnx", output_rate=output_rate)


def words(text: str) -> str:
    """A transcript as lowercase words, for comparing what was said with what was heard."""
    return " ".join(re.findall(r"[a-z]+", text.lower()))


@dataclass
class Seen:
    """What the stand-in received: the headers and query of each request, and what it was asked."""

    headers: list[dict[str, str]] = field(default_factory=list)
    query: list[dict[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)


async def _speak(piper: PiperTTS, text: str) -> tuple[np.ndarray, int]:
    """Native-rate Piper audio for `text` (the voice's own 22,050 Hz)."""
    chunks = [c async for c in piper.synthesize(text)]
    pcm = np.concatenate([c.pcm16 for c in chunks]) if chunks else np.zeros(0, np.int16)
    return pcm, piper.output_rate


def speech_app(whisper: WhisperSTT, piper: PiperTTS, seen: Seen, *, fail_status: int | None = None) -> web.Application:
    """One app holding all three APIs; `fail_status` makes every route answer that status."""

    def record(request: web.Request, body: Any) -> None:
        seen.headers.append(dict(request.headers))
        seen.query.append(dict(request.query))
        seen.bodies.append(body)

    async def transcriptions(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        pcm, rate = parse_wav(upload.file.read())
        record(request, {k: v for k, v in form.items() if k != "file"})
        if fail_status:
            return web.json_response({"error": {"message": "down"}}, status=fail_status)
        result = await whisper.transcribe(pcm, rate)
        return web.json_response({"text": result.text})

    async def openai_speech(request: web.Request) -> web.Response:
        body = await request.json()
        record(request, body)
        if fail_status:
            return web.json_response({"error": {"message": "down"}}, status=fail_status)
        pcm, rate = await _speak(piper, body["input"])
        if body.get("response_format") == "pcm":
            audio = resample(pcm, rate, 24000).astype("<i2").tobytes()
            return web.Response(body=audio, content_type="audio/pcm")
        return web.Response(body=wav_bytes(pcm, rate), content_type="audio/wav")

    async def elevenlabs(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        record(request, {**body, "voice_id": request.match_info["voice_id"]})
        if fail_status:
            return web.json_response({"detail": "down"}, status=fail_status)
        pcm, rate = await _speak(piper, body["text"])
        audio = resample(pcm, rate, 16000).astype("<i2").tobytes()
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await resp.prepare(request)
        for pos in range(0, len(audio), 3200):  # streamed in 100 ms pieces, as the real API streams
            await resp.write(audio[pos:pos + 3200])
        await resp.write_eof()
        return resp

    async def deepgram(request: web.Request) -> web.StreamResponse:
        record(request, None)
        if fail_status:
            return web.Response(status=fail_status)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        rate = int(request.query["sample_rate"])
        audio = bytearray()
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                audio.extend(msg.data)
            elif msg.type == WSMsgType.TEXT and json.loads(msg.data).get("type") == "CloseStream":
                break
        result = await whisper.transcribe(bytes(audio), rate)
        await ws.send_str(json.dumps({"type": "Results", "is_final": True, "speech_final": True,
                                      "channel": {"alternatives": [{"transcript": result.text, "confidence": 0.9}]}}))
        await ws.send_str(json.dumps({"type": "Metadata", "duration": len(audio) / 2 / rate}))
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    app.router.add_post("/v1/audio/speech", openai_speech)
    app.router.add_post("/v1/text-to-speech/{voice_id}/stream", elevenlabs)
    app.router.add_get("/v1/listen", deepgram)
    return app
