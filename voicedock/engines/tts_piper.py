"""Text to speech with Piper (ONNX), resampled to the telephone rate with soxr.

Text is split into sentences here rather than inside Piper, so every audio chunk carries the
words it speaks; barge-in can then keep exactly what the caller heard in the history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np

from voicedock.audio import resample, to_int16
from voicedock.engines.base import AudioChunk, EngineError
from voicedock.engines.sentences import clean_for_speech, split_sentences

log = logging.getLogger(__name__)


class PiperTTS:
    """`output_rate=None` keeps the voice's native rate (22,050 Hz for joe-medium)."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        output_rate: int | None = 8000,
        use_cuda: bool = False,
        length_scale: float | None = None,
    ) -> None:
        import onnxruntime
        from piper import PiperVoice

        path = Path(model_path)
        if not path.is_file() or not Path(f"{path}.json").is_file():
            raise EngineError(
                "model_missing", f"Piper voice {path} or its .json is missing (run scripts/install-models)"
            )
        if use_cuda and "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            log.warning("onnxruntime has no CUDA provider; Piper runs on the CPU")
            use_cuda = False
        self.voice = PiperVoice.load(path, use_cuda=use_cuda)
        self.native_rate: int = self.voice.config.sample_rate
        self._output_rate = output_rate or self.native_rate
        self._length_scale = length_scale or self.voice.config.length_scale or 1.0
        # times and dates are written as an English voice says them (spoken.py); others read them as written
        self._english = str(getattr(self.voice.config, "espeak_voice", "") or "en").lower().startswith("en")

    @property
    def output_rate(self) -> int:
        return self._output_rate

    def synthesize_sync(self, text: str, speed: float = 1.0) -> Iterator[AudioChunk]:
        """Blocking generator, one chunk per sentence; `synthesize` runs it off the event loop.

        `speed` divides Piper's length scale (the time each phoneme lasts), so 1.5 speaks 1.5 times
        as fast without changing the pitch."""
        from piper.config import SynthesisConfig

        config = SynthesisConfig(length_scale=self._length_scale / speed)
        for sentence in split_sentences([clean_for_speech(text, self._english)]):
            started = time.perf_counter()
            pieces = [c.audio_float_array for c in self.voice.synthesize(sentence, config)]
            if not pieces:
                continue
            audio = resample(np.concatenate(pieces).astype(np.float32), self.native_rate, self._output_rate)
            yield AudioChunk(
                pcm16=to_int16(audio),
                rate=self._output_rate,
                text=sentence,
                meta={"synth_seconds": time.perf_counter() - started},
            )

    async def synthesize(self, text: str, speed: float = 1.0) -> AsyncIterator[AudioChunk]:
        it = self.synthesize_sync(text, speed)
        while True:
            try:
                chunk = await asyncio.to_thread(next, it, None)
            except (asyncio.CancelledError, EngineError):
                raise
            except Exception as err:
                raise EngineError("tts_failed", f"speech synthesis failed: {err}") from err
            if chunk is None:
                return
            yield chunk
