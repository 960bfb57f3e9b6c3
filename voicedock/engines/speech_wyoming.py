"""Speech through a Wyoming server (Home Assistant's voice protocol: wyoming-faster-whisper,
wyoming-piper and friends) at `tcp://host:port`.

The `wyoming` package is the protocol's reference library, kept by its authors alongside those
servers; its event classes are the protocol's definition, so using them keeps us in step with the
servers instead of re-deriving the JSON-lines framing. One connection per utterance or sentence, as
the servers expect: they end a request by its final event, not by closing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from wyoming.asr import Transcribe
from wyoming.asr import Transcript as WyTranscript
from wyoming.audio import AudioChunk as WyChunk
from wyoming.audio import AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error as WyError
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeVoice

from voicedock.audio import PCM16, as_int16
from voicedock.engines.base import AudioChunk, EngineError, Transcript
from voicedock.engines.credentials import parse_tcp_url
from voicedock.engines.speech_audio import to_call_chunk
from voicedock.engines.tts_remote import sentences

TIMEOUT_SECONDS = 15.0


async def _read(client: AsyncTcpClient) -> Event:
    event = await client.read_event()
    if event is None:
        raise EngineError("wyoming_closed", "the Wyoming server closed the connection mid-request", retryable=True)
    if WyError.is_type(event.type):
        raise EngineError("wyoming_error", f"the Wyoming server reported: {WyError.from_event(event).text}")
    return event


class WyomingSTT:
    """transcribe -> audio-start, audio-chunk…, audio-stop -> transcript."""

    def __init__(self, url: str, *, model: str | None = None, language: str | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.host, self.port = parse_tcp_url(url)
        self.model = model
        self.language = language
        self.timeout = timeout

    async def transcribe(self, pcm16: PCM16, rate: int) -> Transcript:
        audio = as_int16(pcm16).astype("<i2").tobytes()
        started = time.perf_counter()
        try:
            async with AsyncTcpClient(self.host, self.port, connect_timeout=self.timeout,
                                      read_timeout=self.timeout) as client:
                await client.write_event(Transcribe(name=self.model, language=self.language).event())
                await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
                step = rate * 2 // 10
                for pos in range(0, len(audio), step):
                    await client.write_event(WyChunk(rate=rate, width=2, channels=1, audio=audio[pos:pos + step]).event())
                await client.write_event(AudioStop().event())
                while not WyTranscript.is_type((event := await _read(client)).type):
                    pass
        except (OSError, TimeoutError) as err:
            raise EngineError("wyoming_unreachable", f"Wyoming STT at {self.host}:{self.port} failed: "
                                                     f"{type(err).__name__}", retryable=True) from err
        result = WyTranscript.from_event(event)
        return Transcript(text=result.text.strip(), language=result.language or self.language,
                          audio_seconds=len(audio) / 2 / rate, elapsed_seconds=time.perf_counter() - started)


class WyomingTTS:
    """synthesize -> audio-start, audio-chunk…, audio-stop, one request per sentence."""

    def __init__(self, url: str, *, output_rate: int, voice: str | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.host, self.port = parse_tcp_url(url)
        self._output_rate = output_rate
        self.voice = voice
        self.timeout = timeout

    @property
    def output_rate(self) -> int:
        return self._output_rate

    async def synthesize(self, text: str) -> AsyncIterator[AudioChunk]:
        for sentence in sentences(text):
            started = time.perf_counter()
            pcm, rate = await self._sentence(sentence)
            chunk = await to_call_chunk(pcm, rate, self._output_rate, sentence,
                                        synth_seconds=time.perf_counter() - started, provider="wyoming")
            if chunk is not None:
                yield chunk

    async def _sentence(self, sentence: str) -> tuple[bytes, int]:
        voice = SynthesizeVoice(name=self.voice) if self.voice else None
        pieces: list[bytes] = []
        rate = 0
        try:
            async with AsyncTcpClient(self.host, self.port, connect_timeout=self.timeout,
                                      read_timeout=self.timeout) as client:
                await client.write_event(Synthesize(text=sentence, voice=voice).event())
                while not AudioStop.is_type((event := await _read(client)).type):
                    if WyChunk.is_type(event.type):
                        chunk = WyChunk.from_event(event)
                        if chunk.width != 2 or chunk.channels != 1:
                            raise EngineError("tts_bad_audio", f"Wyoming audio is {chunk.width * 8}-bit, "
                                                               f"{chunk.channels} channels; 16-bit mono expected")
                        rate = chunk.rate
                        pieces.append(chunk.audio)
        except (OSError, TimeoutError) as err:
            raise EngineError("wyoming_unreachable", f"Wyoming TTS at {self.host}:{self.port} failed: "
                                                     f"{type(err).__name__}", retryable=True) from err
        return b"".join(pieces), rate
