"""Audio as remote speech servers send and take it: WAV bodies and raw PCM at their own rates.

Every remote TTS yields the same chunks as the local one (int16 at the call's rate, one per
sentence), so the playout path cannot tell which engine spoke.
"""

from __future__ import annotations

import asyncio
import io
import struct
import wave

import numpy as np

from voicedock.audio import PCM16, as_int16, resample
from voicedock.engines.base import AudioChunk, EngineError


def wav_bytes(pcm16: PCM16, rate: int) -> bytes:
    """A mono 16-bit WAV file, the one upload format every transcription API accepts."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(as_int16(pcm16).astype("<i2").tobytes())
    return out.getvalue()


def parse_wav(data: bytes) -> tuple[bytes, int]:
    """(pcm16 bytes, rate) of a mono 16-bit WAV; the data size is ignored because streamed WAVs
    (OpenAI's among them) write 0 or 0xFFFFFFFF there."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise EngineError("tts_bad_audio", "the speech server sent something that is not a WAV file")
    pos, rate, channels, width = 12, 0, 1, 2
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk_id == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[pos + 8:pos + 24])
            width = bits // 8
        elif chunk_id == b"data":
            if not rate or channels != 1 or width != 2:
                raise EngineError("tts_bad_audio", f"unsupported WAV: {channels} channels, {width * 8} bits")
            body = data[pos + 8:]
            return body[: len(body) // 2 * 2], rate
        pos += 8 + size + (size & 1)
    raise EngineError("tts_bad_audio", "the WAV file from the speech server has no audio")


async def to_call_chunk(pcm: bytes, rate: int, out_rate: int, text: str, **meta: object) -> AudioChunk | None:
    """Raw little-endian PCM at the server's rate -> one chunk at the call's rate (resampled off the loop)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int16)
    if len(samples) == 0:
        return None
    audio = await asyncio.to_thread(resample, samples, rate, out_rate)
    return AudioChunk(pcm16=np.asarray(audio, dtype=np.int16), rate=out_rate, text=text, meta=dict(meta))
