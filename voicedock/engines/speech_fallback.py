"""A remote speech engine with the local one behind it: a provider that fails mid-call is logged and
the call goes on with the local engine, because a caller who hears nothing hangs up.

The log line names the provider, the error code and how long the failed attempt took; never the key
(errors are built without request headers, and `ProviderKey` hides it from repr).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from voicedock.audio import PCM16
from voicedock.engines.base import STT, TTS, AudioChunk, EngineError, Transcript
from voicedock.engines.tts_remote import sentences

log = logging.getLogger("voicedock.engines")


def _log_failure(role: str, provider: str, err: Exception, started: float, call_id: str) -> None:
    code = err.code if isinstance(err, EngineError) else type(err).__name__
    log.warning("%s provider %s failed (%s); the local engine takes over", role, provider, code,
                extra={"call_id": call_id, "provider": provider, "role": role, "error_code": code,
                       "latency_ms": round((time.perf_counter() - started) * 1000)})


class FallbackSTT:
    def __init__(self, primary: STT, local: STT, *, provider: str, call_id: str = "") -> None:
        self.primary, self.local, self.provider, self.call_id = primary, local, provider, call_id

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        started = time.perf_counter()
        try:
            return await self.primary.transcribe(pcm16, rate)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - any provider failure: the local engine answers instead
            _log_failure("stt", self.provider, err, started, self.call_id)
        return await self.local.transcribe(pcm16, rate)


class FallbackTTS:
    """The sentences the provider did not speak are spoken by the local voice, so a failure in the
    middle of a reply neither repeats what the caller heard nor drops the rest."""

    def __init__(self, primary: TTS, local: TTS, *, provider: str, call_id: str = "") -> None:
        self.primary, self.local, self.provider, self.call_id = primary, local, provider, call_id

    @property
    def output_rate(self) -> int:
        return self.local.output_rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        spoken = 0
        started = time.perf_counter()
        try:
            async for chunk in self.primary.synthesize(text):
                spoken += 1
                yield chunk
                started = time.perf_counter()
            return
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - any provider failure: the local voice goes on
            _log_failure("tts", self.provider, err, started, self.call_id)
        rest = " ".join(sentences(text)[spoken:])
        if rest:
            async for chunk in self.local.synthesize(rest):
                yield chunk
