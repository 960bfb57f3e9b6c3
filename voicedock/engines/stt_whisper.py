"""Speech to text with faster-whisper (CTranslate2), loaded from a local directory only.

Whisper always encodes a 30 s window, so a short utterance costs about the same as a long one;
transcribing once per endpointed turn is therefore cheaper than streaming partial results.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import numpy as np

from voicedock.audio import PCM16, resample, to_float32
from voicedock.engines.base import EngineError, Transcript
from voicedock.engines.waits import WAITS

WHISPER_RATE = 16000
log = logging.getLogger(__name__)


class WhisperSTT:
    """One CTranslate2 model shared by all calls; CTranslate2 queues concurrent requests itself,
    but a lock keeps one utterance per model so the configured threads are not oversubscribed."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        language: str | None = "en",
    ) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel

        path = Path(model_dir)
        if not (path / "model.bin").is_file():
            raise EngineError("model_missing", f"no CTranslate2 Whisper model in {path} (run scripts/install-models)")
        if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            log.warning("no CUDA device for CTranslate2; Whisper runs on the CPU with int8")
            device, compute_type = "cpu", "int8"
        self.model = WhisperModel(
            str(path), device=device, compute_type=compute_type, cpu_threads=cpu_threads, local_files_only=True
        )
        self.beam_size = beam_size
        self.language = language
        self._lock = threading.Lock()

    def transcribe_sync(self, pcm16: PCM16, rate: int, language: str | None = None,
                        queued_at: float | None = None, dropped: threading.Event | None = None) -> Transcript:
        """Blocking transcription; use `transcribe` from async code. `language` overrides the model's
        default for one call's assistant (a multilingual model serves every language); `queued_at`
        (perf_counter) is when the request was made, so its wait for a thread and the model is reported.
        `dropped` set while the request waits for the model: nobody wants the words any more (the
        caller went on after a pause), so the model goes to the next request instead."""
        started = time.perf_counter()
        audio = resample(to_float32(pcm16), rate, WHISPER_RATE).astype(np.float32)
        before_lock = time.perf_counter()
        with self._lock:
            WAITS.observe("stt", started - (queued_at or started) + time.perf_counter() - before_lock)
            if dropped is not None and dropped.is_set():
                raise EngineError("stt_dropped", "the transcription was no longer wanted")
            segments, info = self.model.transcribe(
                audio,
                beam_size=self.beam_size,
                language=language or self.language,
                condition_on_previous_text=False,
                vad_filter=False,
                without_timestamps=True,
            )
            parts = list(segments)
        text = " ".join(seg.text.strip() for seg in parts).strip()
        no_speech = max((seg.no_speech_prob for seg in parts), default=1.0)
        return Transcript(
            text=text,
            language=info.language,
            audio_seconds=len(audio) / WHISPER_RATE,
            no_speech_prob=float(no_speech),
            elapsed_seconds=time.perf_counter() - started,
        )

    async def transcribe(self, pcm16: PCM16, rate: int, language: str | None = None) -> Transcript:
        dropped = threading.Event()
        try:
            return await asyncio.to_thread(self.transcribe_sync, pcm16, rate, language, time.perf_counter(), dropped)
        except asyncio.CancelledError:
            dropped.set()  # a thread cannot be stopped, but one still waiting for the model need not run
            raise
        except EngineError:
            raise
        except Exception as err:
            raise EngineError("stt_failed", f"transcription failed: {err}") from err
